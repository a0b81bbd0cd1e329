import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DefinitionCache } from "../engine/definitions";
import { settle } from "../engine/loop";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney } from "../testing/email-journey";
import { bearer, useApp } from "../testing/use-app";

const basic = (writeKey: string) => ({
  authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`,
});

/** GDPR erase of a customer who went through a journey: nothing of theirs is left. */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] customer erase`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const url = (path: string) => `/api/v1/businesses/${ctx.alpha.businessId}/customers${path}`;
    const track = (userId: string) =>
      ctx.app.inject({
        method: "POST",
        url: "/v1/track",
        headers: basic(ctx.alpha.writeKey),
        payload: { userId, event: "Signed Up" },
      });
    const identify = (userId: string) =>
      ctx.app.inject({
        method: "POST",
        url: "/v1/identify",
        headers: basic(ctx.alpha.writeKey),
        payload: { userId },
      });

    it("removes their enrollments, trail, deliveries and queued journey work, and no one else's", async () => {
      const r = ctx.resources;
      const businessId = ctx.alpha.businessId;
      await activeEmailJourney(r, businessId, { type: "event", event: "Signed Up" }, Date.now());
      const ids: Record<string, string> = {};
      for (const userId of ["ada", "bob"]) {
        const created = await ctx.app.inject({
          method: "POST",
          url: url(""),
          headers: bearer(ctx.alpha.apiKey),
          payload: { userId, email: `${userId}@example.com`, subscriptions: { email: "subscribed" } },
        });
        ids[userId] = created.json().id;
        assert.equal((await track(userId)).statusCode, 200);
      }
      await settle(r, new DefinitionCache());
      // Queued again, not yet run: erase must take it out of the engine's queue too.
      for (const userId of ["ada", "bob"]) await track(userId);

      const count = async (customerId: string) => {
        // One table type for the query builder: the three share the columns read here.
        const of = (table: "enrollments" | "deliveries" | "engine_work") =>
          ctx.store.db
            .selectFrom(table as "deliveries")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("business_id", "=", businessId)
            .where("customer_id", "=", customerId)
            .executeTakeFirstOrThrow()
            .then((row) => Number(row.n));
        const trail = await ctx.store.db
          .selectFrom("enrollment_trail as t")
          .innerJoin("enrollments as e", (j) =>
            j.onRef("e.business_id", "=", "t.business_id").onRef("e.id", "=", "t.enrollment_id"),
          )
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("t.business_id", "=", businessId)
          .where("e.customer_id", "=", customerId)
          .executeTakeFirstOrThrow();
        return {
          enrollments: await of("enrollments"),
          trail: Number(trail.n),
          deliveries: await of("deliveries"),
          work: await of("engine_work"),
        };
      };
      const before = await count(ids.ada!);
      assert.ok(
        before.enrollments > 0 && before.trail > 0 && before.deliveries > 0 && before.work > 0,
        JSON.stringify(before),
      );
      const trailRows = await ctx.store.db
        .selectFrom("enrollment_trail")
        .select("enrollment_id")
        .where("business_id", "=", businessId)
        .execute();

      const erased = await ctx.app.inject({
        method: "DELETE",
        url: url(`/${ids.ada}`),
        headers: bearer(ctx.alpha.apiKey),
      });
      assert.equal(erased.statusCode, 200, erased.body);
      assert.deepEqual(await count(ids.ada!), { enrollments: 0, trail: 0, deliveries: 0, work: 0 });
      assert.deepEqual(await count(ids.bob!), before, "bob keeps all of his");
      const left = await ctx.store.db
        .selectFrom("enrollment_trail")
        .select("enrollment_id")
        .where("business_id", "=", businessId)
        .execute();
      assert.equal(
        left.length,
        trailRows.length - before.trail,
        "no trail row is left without its enrollment",
      );
    });

    it("refuses to re-add an erased userId, and only that exact userId", async () => {
      assert.equal((await identify("Case-User")).statusCode, 200);
      const [customer] = (
        await ctx.app.inject({ url: url("?userId=Case-User"), headers: bearer(ctx.alpha.apiKey) })
      ).json().data;
      const erased = await ctx.app.inject({
        method: "DELETE",
        url: url(`/${customer.id}`),
        headers: bearer(ctx.alpha.apiKey),
      });
      assert.equal(erased.statusCode, 200, erased.body);
      const again = await identify("Case-User");
      assert.equal(again.statusCode, 409, again.body);
      assert.equal(again.json().error.code, "customer_erased");
      const other = await identify("case-user");
      assert.equal(other.statusCode, 200, "userIds are case-sensitive: case-user is someone else");
    });
  });
}
