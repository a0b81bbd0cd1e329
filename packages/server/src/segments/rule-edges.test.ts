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
