import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { api, customerId, expect, identify, memberUserIds, send } from "./testing";

/** Rules and lists at their edges: what the stores can hold, what people type, what they mean. */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] segment rule edges`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);

    it("refuses an event window the stores cannot hold, naming the limit", async () => {
      for (const rule of [
        { event: "Bought", op: "atLeast", count: 1, withinDays: 1e12 },
        { attribute: "signedUpAt", op: "withinLastDays", value: 1e12 },
      ]) {
        const refused = await api(ctx, ctx.alpha, "POST", "/segments", { name: "Far", rule }).then(
          expect(400),
        );
        assert.match(JSON.stringify(refused.error), /36500/);
      }
    });

    it("matches an email rule whatever its capitals, as emails are stored", async () => {
      await send(ctx, ctx.alpha, identify("caps", { email: "Bob@Example.com" }));
      const segment = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Bob",
        rule: { any: [{ attribute: "email", op: "eq", value: "Bob@Example.com" }] },
      }).then(expect(201));
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, segment.id), ["caps"]);
    });

    it("matches a phone rule written as people type numbers, as phones are stored (E.164)", async () => {
      await send(ctx, ctx.alpha, identify("uk", { phone: "+447911123456" }));
      await send(ctx, ctx.alpha, identify("de", { phone: "+4915112345678" }));
      for (const [rule, members] of [
        [{ attribute: "phone", op: "eq", value: "+44 7911 123456" }, ["uk"]],
        [{ attribute: "phone", op: "in", value: ["+49 151 1234 5678", "+1 202-555-0143"] }, ["de"]],
        [{ attribute: "phone", op: "startsWith", value: "+44 (7911)" }, ["uk"]],
        [{ attribute: "phone", op: "contains", value: "911-123" }, ["uk"]],
        [{ not: { attribute: "phone", op: "neq", value: "+49 151 12345678" } }, ["de"]],
      ] as const) {
        const segment = await api(ctx, ctx.alpha, "POST", "/segments", { name: "Phones", rule }).then(
          expect(201),
        );
        assert.deepEqual(await memberUserIds(ctx, ctx.alpha, segment.id), members, JSON.stringify(rule));
        await api(ctx, ctx.alpha, "DELETE", `/segments/${segment.id}`).then(expect(204));
      }
      const refused = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Local",
        rule: { all: [{ attribute: "phone", op: "in", value: ["+447911123456", "07911 123456"] }] },
      }).then(expect(400));
      assert.equal(refused.error.code, "invalid_rule");
      assert.equal(refused.error.details.problems[0].path, "rule.all[0].value[1]");
      assert.match(refused.error.message, /07911 123456.*E\.164/);
    });

    it("leaves a list as it was when a replace names nobody", async () => {
      await send(ctx, ctx.alpha, identify("kept", { email: "kept@x.test" }));
      const list = await api(ctx, ctx.alpha, "POST", "/segments", { name: "Kept", rule: null }).then(
        expect(201),
      );
      const kept = await customerId(ctx, ctx.alpha, "kept");
      await api(ctx, ctx.alpha, "PUT", `/segments/${list.id}/members`, { customerIds: [kept] }).then(
        expect(200),
      );
      const wrongFile = "email\nsomeone@other-shop.test\nnobody@other-shop.test\n";
      const refused = await api(
        ctx,
        ctx.alpha,
        "PUT",
        `/segments/${list.id}/members`,
        wrongFile,
        "text/csv",
      ).then(expect(422));
      assert.equal(refused.error.code, "no_customers_matched");
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, list.id), ["kept"]);
      const emptied = await api(ctx, ctx.alpha, "PUT", `/segments/${list.id}/members`, {
        customerIds: [],
      }).then(expect(200));
      assert.equal(emptied.size, 0, "an empty list still empties it");
    });
  });
}
