import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { api, customerId, expect, identify, membershipLog, memberUserIds, send } from "./testing";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] manual lists`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);

    it("replaces and appends members from JSON ids and CSV, reporting unknown rows", async () => {
      await send(
        ctx,
        ctx.alpha,
        identify("m1", { email: "m1@x.test" }),
        identify("m2", { email: "m2@x.test" }),
        identify("m3", { email: "m3@x.test" }),
      );
      const [m1, m2] = [await customerId(ctx, ctx.alpha, "m1"), await customerId(ctx, ctx.alpha, "m2")];
      const list = await api(ctx, ctx.alpha, "POST", "/segments", { name: "VIPs", rule: null }).then(
        expect(201),
      );
      const reader = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "VIPs with email",
        rule: { all: [{ inSegment: list.id }, { attribute: "email", op: "exists" }] },
      }).then(expect(201));

      const put = await api(ctx, ctx.alpha, "PUT", `/segments/${list.id}/members`, {
        customerIds: [m1, m2, "cus_nobody"],
      }).then(expect(200));
      assert.deepEqual(put, {
        size: 2,
        joined: 2,
        left: 0,
        unknown: [{ index: 2, value: "cus_nobody", reason: "unknown_customer" }],
      });
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, reader.id), ["m1", "m2"], "dependents recomputed");

      const csv = 'name,Email\n"Three, M",M3@X.test\nNobody,nobody@x.test\n\nBlank,\n';
      const appended = await api(
        ctx,
        ctx.alpha,
        "POST",
        `/segments/${list.id}/members`,
        csv,
        "text/csv",
      ).then(expect(200));
      assert.deepEqual(appended, {
        size: 3,
        joined: 1,
        left: 0,
        unknown: [
          { line: 3, value: "nobody@x.test", reason: "unknown_customer" },
          { line: 5, value: "", reason: "empty" },
        ],
      });
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, list.id), ["m1", "m2", "m3"]);

      const replaced = await api(
        ctx,
        ctx.alpha,
        "PUT",
        `/segments/${list.id}/members`,
        "userId\r\nm2\r\n",
        "text/csv",
      ).then(expect(200));
      assert.deepEqual(replaced, { size: 1, joined: 0, left: 2, unknown: [] });
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, list.id), ["m2"]);
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, reader.id), ["m2"]);
      const log = (await membershipLog(ctx, ctx.alpha, list.id)).map(([u, c]) => `${u} ${c}`);
      assert.deepEqual(log.slice(0, 2).sort(), ["m1 joined", "m2 joined"]);
      assert.deepEqual(log.slice(2, 3), ["m3 joined"]);
      assert.deepEqual(log.slice(3).sort(), ["m1 left", "m3 left"]);
    });

    it("refuses members for a rule segment and a CSV without an identifying column", async () => {
      const ruled = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Ruled",
        rule: { attribute: "plan", op: "exists" },
      }).then(expect(201));
      const refused = await api(ctx, ctx.alpha, "PUT", `/segments/${ruled.id}/members`, {
        customerIds: [],
      }).then(expect(409));
      assert.equal(refused.error.code, "not_a_manual_list");
      const list = await api(ctx, ctx.alpha, "POST", "/segments", { name: "L", rule: null }).then(
        expect(201),
      );
      const noColumn = await api(
        ctx,
        ctx.alpha,
        "PUT",
        `/segments/${list.id}/members`,
        "name\nx\n",
        "text/csv",
      ).then(expect(400));
      assert.equal(noColumn.error.code, "invalid_csv");
      const unclosed = await api(
        ctx,
        ctx.alpha,
        "PUT",
        `/segments/${list.id}/members`,
        'email\n"m1@x.test\n',
        "text/csv",
      ).then(expect(400));
      assert.equal(unclosed.error.code, "invalid_csv");
      assert.match(unclosed.error.message, /line 2: a quoted field is not closed/);
      const badJson = await api(ctx, ctx.alpha, "PUT", `/segments/${list.id}/members`, { ids: [] }).then(
        expect(400),
      );
      assert.equal(badJson.error.code, "invalid_request");
    });
  });
}
