import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { api, expect, identify, send, track } from "./testing";

const pro = { attribute: "plan", op: "eq", value: "pro" };

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] segments API`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);

    it("creates, reads, lists, renames, changes and deletes a segment in the wire format", async () => {
      const created = await api(ctx, ctx.alpha, "POST", "/segments", { name: " Pro ", rule: pro }).then(
        expect(201),
      );
      assert.match(created.id, /^seg_/);
      assert.equal(created.name, "Pro");
      assert.deepEqual(created.rule, pro);
      assert.equal(created.size, 0);

      const got = await api(ctx, ctx.alpha, "GET", `/segments/${created.id}`).then(expect(200));
      assert.deepEqual(
        { id: got.id, name: got.name, rule: got.rule },
        { id: created.id, name: "Pro", rule: pro },
      );
      const list = await api(ctx, ctx.alpha, "GET", "/segments").then(expect(200));
      assert.deepEqual(
        list.data.map((s: { id: string }) => s.id),
        [created.id],
      );

      const renamed = await api(ctx, ctx.alpha, "PATCH", `/segments/${created.id}`, { name: "Pros" }).then(
        expect(200),
      );
      assert.equal(renamed.name, "Pros");
      assert.deepEqual(renamed.rule, pro);
      const vip = { attribute: "tags", op: "contains", value: "vip" };
      const changed = await api(ctx, ctx.alpha, "PATCH", `/segments/${created.id}`, { rule: vip }).then(
        expect(200),
      );
      assert.deepEqual(changed.rule, vip);

      await api(ctx, ctx.alpha, "DELETE", `/segments/${created.id}`).then(expect(204));
      await api(ctx, ctx.alpha, "GET", `/segments/${created.id}`).then(expect(404));
      // Another business cannot see or touch it.
      const other = await api(ctx, ctx.alpha, "POST", "/segments", { name: "Mine", rule: null }).then(
        expect(201),
      );
      assert.equal(other.rule, null);
      await api(ctx, ctx.beta, "GET", `/segments/${other.id}`).then(expect(404));
      const foreign = await ctx.app.inject({
        method: "GET",
        url: `/api/v1/businesses/${ctx.alpha.businessId}/segments`,
        headers: { authorization: `Bearer ${ctx.beta.apiKey}` },
      });
      assert.equal(foreign.statusCode, 404);
    });

    it("bumps segments_version on every change so caches refresh", async () => {
      const version = async () =>
        Number(
          (
            await ctx.store.db
              .selectFrom("businesses")
              .select("segments_version")
              .where("id", "=", ctx.alpha.businessId)
              .executeTakeFirstOrThrow()
          ).segments_version,
        );
      const v0 = await version();
      const s = await api(ctx, ctx.alpha, "POST", "/segments", { name: "V", rule: pro }).then(expect(201));
      await api(ctx, ctx.alpha, "PATCH", `/segments/${s.id}`, { name: "V2" }).then(expect(200));
      await api(ctx, ctx.alpha, "DELETE", `/segments/${s.id}`).then(expect(204));
      assert.equal(await version(), v0 + 3);
    });

    it("refuses an invalid rule with every problem and its JSON path", async () => {
      const body = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Broken",
        rule: {
          all: [
            { attribute: "plan", op: "equals", value: "pro" },
            { event: "Purchased", op: "atLeast", count: -1, withinDay: 3 },
          ],
        },
      }).then(expect(400));
      assert.equal(body.error.code, "invalid_rule");
      assert.deepEqual(
        body.error.details.problems.map((p: { path: string; code: string }) => [p.path, p.code]),
        [
          ["rule.all[0].op", "unknown_op"],
          ["rule.all[1].withinDay", "unknown_field"],
          ["rule.all[1].count", "bad_field"],
        ],
      );
      assert.match(body.error.message, /^rule\.all\[0\]\.op: /);
      const missing = await api(ctx, ctx.alpha, "POST", "/segments", { rule: pro }).then(expect(400));
      assert.equal(missing.error.code, "invalid_request");
    });

    it("refuses cycles and unknown segments (422) and deleting a segment another reads (409)", async () => {
      const a = await api(ctx, ctx.alpha, "POST", "/segments", { name: "A", rule: pro }).then(expect(201));
      const b = await api(ctx, ctx.alpha, "POST", "/segments", { name: "B", rule: { inSegment: a.id } }).then(
        expect(201),
      );
      const cycle = await api(ctx, ctx.alpha, "PATCH", `/segments/${a.id}`, {
        rule: { inSegment: b.id },
      }).then(expect(422));
      assert.equal(cycle.error.code, "segment_cycle");
      const unknown = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "C",
        rule: { inSegment: "seg_nope" },
      }).then(expect(422));
      assert.equal(unknown.error.code, "unknown_segment");
      assert.match(unknown.error.message, /seg_nope/);

      const inUse = await api(ctx, ctx.alpha, "DELETE", `/segments/${a.id}`).then(expect(409));
      assert.equal(inUse.error.code, "segment_in_use");
      assert.deepEqual(inUse.error.details.readers, [{ id: b.id, name: "B" }]);
      assert.match(inUse.error.message, /"B"/);
      await api(ctx, ctx.alpha, "DELETE", `/segments/${b.id}`).then(expect(204));
      await api(ctx, ctx.alpha, "DELETE", `/segments/${a.id}`).then(expect(204));
    });

    it("refuses deleting a segment a journey uses as its trigger or in a split (409) until it is archived", async () => {
      const entry = await api(ctx, ctx.alpha, "POST", "/segments", { name: "Entry", rule: pro }).then(
        expect(201),
      );
      const check = await api(ctx, ctx.alpha, "POST", "/segments", { name: "Check", rule: null }).then(
        expect(201),
      );
      const wait = { type: "delay", amount: 1, unit: "days", next: null };
      const onEntry = await api(ctx, ctx.alpha, "POST", "/journeys", {
        name: "Welcome",
        trigger: { type: "segment", segmentId: entry.id },
        start: "wait",
        nodes: { wait },
      }).then(expect(201));
      const onSplit = await api(ctx, ctx.alpha, "POST", "/journeys", {
        name: "Follow-up",
        trigger: { type: "event", event: "Signed Up" },
        start: "check",
        nodes: { check: { type: "split", segmentId: check.id, true: "wait", false: null }, wait },
      }).then(expect(201));
      const refused = async (segmentId: string, journey: { id: string; name: string }) => {
        const body = await api(ctx, ctx.alpha, "DELETE", `/segments/${segmentId}`).then(expect(409));
        assert.equal(body.error.code, "segment_in_use");
        assert.deepEqual(body.error.details.journeys, [{ id: journey.id, name: journey.name }]);
        assert.match(body.error.message, new RegExp(`journey "${journey.name}" \\(${journey.id}\\)`));
      };
      const lifecycle = (journey: { id: string }, action: string) =>
        api(ctx, ctx.alpha, "POST", `/journeys/${journey.id}/${action}`).then(expect(200));

      // Draft, active and paused journeys all hold on to their segments.
      await refused(entry.id, onEntry);
      await refused(check.id, onSplit);
      await lifecycle(onEntry, "activate");
      await lifecycle(onSplit, "activate");
      await refused(entry.id, onEntry);
      await refused(check.id, onSplit);
      await lifecycle(onEntry, "pause");
      await refused(entry.id, onEntry);
      // The draft no longer splits on it, but version 1 (where customers may be in flight) does.
      await api(ctx, ctx.alpha, "PATCH", `/journeys/${onSplit.id}`, { start: "wait", nodes: { wait } }).then(
        expect(200),
      );
      await refused(check.id, onSplit);

      await lifecycle(onEntry, "archive");
      await lifecycle(onSplit, "archive");
      await api(ctx, ctx.alpha, "DELETE", `/segments/${entry.id}`).then(expect(204));
      await api(ctx, ctx.alpha, "DELETE", `/segments/${check.id}`).then(expect(204));
    });

    it("enforces the plan's segment limit with 402 naming the plan (Starter: 10)", async () => {
      for (let i = 0; i < 10; i++) {
        await api(ctx, ctx.beta, "POST", "/segments", { name: `S${i}`, rule: null }).then(expect(201));
      }
      const body = await api(ctx, ctx.beta, "POST", "/segments", { name: "S10", rule: null }).then(
        expect(402),
      );
      assert.equal(body.error.code, "plan_limit_reached");
      assert.match(body.error.message, /Starter plan allows 10 segments/);
      assert.equal(body.error.details.upgradeTo, "lite");
      const list = await api(ctx, ctx.beta, "GET", "/segments").then(expect(200));
      assert.equal(list.data.length, 10);
    });

    it("previews a rule's count and a sample without saving, counting history for new event rules", async () => {
      await send(
        ctx,
        ctx.alpha,
        identify("p1", { plan: "pro", email: "p1@x.test" }),
        identify("p2", { plan: "pro" }),
        identify("p3", { plan: "free" }),
        track("p1", "Preview Bought", { total: 50 }),
        track("p2", "Preview Bought", { total: 5 }),
      );
      const before = await api(ctx, ctx.alpha, "GET", "/segments").then(expect(200));
      const preview = await api(ctx, ctx.alpha, "POST", "/segments/preview", {
        rule: {
          all: [
            pro,
            {
              event: "Preview Bought",
              op: "atLeast",
              count: 1,
              where: [{ property: "total", op: "gt", value: 10 }],
            },
          ],
        },
      }).then(expect(200));
      assert.equal(preview.count, 1);
      assert.deepEqual(
        preview.sample.map((c: { userId: string; email: string }) => [c.userId, c.email]),
        [["p1", "p1@x.test"]],
      );
      const after = await api(ctx, ctx.alpha, "GET", "/segments").then(expect(200));
      assert.equal(after.data.length, before.data.length);
      const bad = await api(ctx, ctx.alpha, "POST", "/segments/preview", { rule: { any: 3 } }).then(
        expect(400),
      );
      assert.equal(bad.error.details.problems[0].path, "rule.any");
      const unknown = await api(ctx, ctx.alpha, "POST", "/segments/preview", {
        rule: { inSegment: "seg_preview" },
      });
      assert.equal(unknown.json().error.code, "unknown_segment", unknown.body);
    });

    it("pages through members with a cursor and reports size history", async () => {
      const users = Array.from({ length: 7 }, (_, i) => `page-${i}`);
      await send(ctx, ctx.alpha, ...users.map((u) => identify(u, { cohort: "paging" })));
      const s = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Paging",
        rule: { attribute: "cohort", op: "eq", value: "paging" },
      }).then(expect(201));
      assert.equal(s.size, 7);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `?limit=3${cursor ? `&cursor=${cursor}` : ""}`;
        const page = await api(ctx, ctx.alpha, "GET", `/segments/${s.id}/members${query}`).then(expect(200));
        assert.ok(page.data.length <= 3);
        seen.push(...page.data.map((m: { userId: string }) => m.userId));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual([...seen].sort(), users);
      assert.equal(new Set(seen).size, 7);
      const bad = await api(ctx, ctx.alpha, "GET", `/segments/${s.id}/members?cursor=zzz`).then(expect(400));
      assert.equal(bad.error.code, "invalid_cursor");

      const history = await api(ctx, ctx.alpha, "GET", `/segments/${s.id}/size-history?days=30`).then(
        expect(200),
      );
      assert.deepEqual(history.data, [{ date: new Date().toISOString().slice(0, 10), size: 7 }]);
    });

    it("describes the segment routes in the OpenAPI document", async () => {
      const doc = (await ctx.app.inject({ method: "GET", url: "/api/openapi.json" })).json();
      for (const path of [
        "/api/v1/businesses/{businessId}/segments",
        "/api/v1/businesses/{businessId}/segments/preview",
        "/api/v1/businesses/{businessId}/segments/{segmentId}",
        "/api/v1/businesses/{businessId}/segments/{segmentId}/members",
        "/api/v1/businesses/{businessId}/segments/{segmentId}/size-history",
      ]) {
        assert.ok(doc.paths[path], `${path} is documented`);
      }
    });
  });
}
