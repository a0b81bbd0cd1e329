import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { api, expect, identify, membershipLog, memberUserIds, send, track } from "./testing";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] segment membership: recompute, backfill, write path`, {
    skip: dialect.skip,
  }, () => {
    const ctx = useApp(dialect);

    it("computes members on create, counting events tracked before the rule existed", async () => {
      await send(
        ctx,
        ctx.alpha,
        identify("b1", { plan: "pro" }),
        identify("b2", { plan: "pro" }),
        identify("b3", { plan: "free" }),
        track("b1", "Backfill Bought", { sku: "A" }),
        track("b1", "Backfill Bought", { sku: "B" }),
        track("b2", "Backfill Bought", { sku: "A" }),
        track("b3", "Backfill Bought", { sku: "A" }),
        track("b3", "Backfill Bought", { sku: "A" }),
      );
      const twice = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Bought twice, pro",
        rule: {
          all: [
            { attribute: "plan", op: "eq", value: "pro" },
            { event: "Backfill Bought", op: "atLeast", count: 2 },
          ],
        },
      }).then(expect(201));
      assert.equal(twice.size, 1);
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, twice.id), ["b1"]);
      assert.deepEqual(
        (await membershipLog(ctx, ctx.alpha, twice.id)).map(([u, c]) => [u, c]),
        [["b1", "joined"]],
      );
      const skuA = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Bought A",
        rule: {
          event: "Backfill Bought",
          op: "atLeast",
          count: 1,
          where: [{ property: "sku", op: "eq", value: "A" }],
        },
      }).then(expect(201));
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, skuA.id), ["b1", "b2", "b3"]);
      const hits = await ctx.store.db
        .selectFrom("counters")
        .select("counter")
        .where("business_id", "=", ctx.alpha.businessId)
        .execute();
      assert.equal(hits.length, 2, "one counter per distinct selector");

      // A rule change recomputes: b3 leaves, b1 and b2 stay.
      await api(ctx, ctx.alpha, "PATCH", `/segments/${skuA.id}`, {
        rule: {
          all: [
            { attribute: "plan", op: "eq", value: "pro" },
            {
              event: "Backfill Bought",
              op: "atLeast",
              count: 1,
              where: [{ property: "sku", op: "eq", value: "A" }],
            },
          ],
        },
      }).then(expect(200));
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, skuA.id), ["b1", "b2"]);
      const log = (await membershipLog(ctx, ctx.alpha, skuA.id)).map(([u, c]) => `${u} ${c}`);
      assert.deepEqual(log.slice(0, 3).sort(), ["b1 joined", "b2 joined", "b3 joined"]);
      assert.deepEqual(log.slice(3), ["b3 left"]);
    });

    it("moves a customer in and out as events and traits arrive, with joined and left events", async () => {
      const seg = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Engaged pro",
        rule: {
          all: [
            { attribute: "plan", op: "eq", value: "pro" },
            { event: "Engaged Clicked", op: "atLeast", count: 2 },
          ],
        },
      }).then(expect(201));
      await send(ctx, ctx.alpha, identify("w1", { plan: "pro" }), track("w1", "Engaged Clicked"));
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, seg.id), []);
      await send(ctx, ctx.alpha, track("w1", "Engaged Clicked"));
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, seg.id), ["w1"]);
      await send(ctx, ctx.alpha, identify("w1", { plan: "free" }));
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, seg.id), []);
      assert.deepEqual(
        (await membershipLog(ctx, ctx.alpha, seg.id)).map(([u, c]) => [u, c]),
        [
          ["w1", "joined"],
          ["w1", "left"],
        ],
      );
      // The counter the new rule introduced is bumped by the write path after the save.
      const track1 = await api(ctx, ctx.alpha, "POST", "/segments/preview", {
        rule: { event: "Engaged Clicked", op: "exactly", count: 2 },
      }).then(expect(200));
      assert.equal(track1.count, 1);
    });

    it("reads the locale trait as the built-in `locale`, in a full recompute and on the write path", async () => {
      await send(ctx, ctx.alpha, identify("l1", { locale: "de-DE" }), identify("l2", { locale: "fr-FR" }));
      const german = { attribute: "locale", op: "eq", value: "de-DE" };
      // The first rule the store can prefilter on the column; the second it cannot (a `not`).
      const rules = [german, { not: { attribute: "locale", op: "neq", value: "de-DE" } }];
      const segments: string[] = [];
      for (const [i, rule] of rules.entries()) {
        const created = await api(ctx, ctx.alpha, "POST", "/segments", { name: `German ${i}`, rule }).then(
          expect(201),
        );
        assert.equal(created.size, 1, JSON.stringify(rule));
        assert.deepEqual(await memberUserIds(ctx, ctx.alpha, created.id), ["l1"]);
        segments.push(created.id);
      }
      await send(ctx, ctx.alpha, identify("l3", { locale: "de-DE" }), identify("l1", { locale: "en-GB" }));
      for (const id of segments) {
        assert.deepEqual(await memberUserIds(ctx, ctx.alpha, id), ["l3"]);
        assert.deepEqual(
          (await membershipLog(ctx, ctx.alpha, id)).map(([u, c]) => `${u} ${c}`),
          ["l1 joined", "l3 joined", "l1 left"],
        );
      }
      const preview = await api(ctx, ctx.alpha, "POST", "/segments/preview", { rule: german }).then(
        expect(200),
      );
      assert.equal(preview.count, 1);
    });

    it("recomputes segments that read a changed segment, in graph order", async () => {
      await send(ctx, ctx.alpha, identify("d1", { tier: "gold" }), identify("d2", { tier: "silver" }));
      const gold = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Gold",
        rule: { attribute: "tier", op: "eq", value: "gold" },
      }).then(expect(201));
      const notGold = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Tiered, not gold",
        rule: { all: [{ attribute: "tier", op: "exists" }, { not: { inSegment: gold.id } }] },
      }).then(expect(201));
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, notGold.id), ["d2"]);
      await api(ctx, ctx.alpha, "PATCH", `/segments/${gold.id}`, {
        rule: { attribute: "tier", op: "in", value: ["gold", "silver"] },
      }).then(expect(200));
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, gold.id), ["d1", "d2"]);
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, notGold.id), []);
    });
  });
}
