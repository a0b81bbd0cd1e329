import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";

const basic = (writeKey: string) => ({
  authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`,
});

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] Segment-spec ingestion`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const events = async (businessId: string) =>
      ctx.store.db
        .selectFrom("events")
        .selectAll()
        .where("business_id", "=", businessId)
        .orderBy("received_at")
        .execute();
    const customers = async (businessId: string) =>
      ctx.store.db.selectFrom("customers").selectAll().where("business_id", "=", businessId).execute();

    it("stores an identify and a track, creating the customer with its traits", async () => {
      const identify = await ctx.app.inject({
        method: "POST",
        url: "/v1/identify",
        headers: basic(ctx.alpha.writeKey),
        payload: {
          userId: "u1",
          messageId: "m-identify-1",
          traits: {
            email: "Ada@Example.com",
            phone: "+4915112345678",
            plan: "pro",
            subscriptions: { email: "subscribed" },
          },
          context: { timezone: "Europe/Berlin", locale: "de-DE" },
        },
      });
      assert.equal(identify.statusCode, 200, identify.body);
      assert.deepEqual(identify.json(), { success: true, accepted: 1, duplicates: 0, rejected: [] });
      const track = await ctx.app.inject({
        method: "POST",
        url: "/v1/track",
        headers: basic(ctx.alpha.writeKey),
        payload: {
          userId: "u1",
          event: "Order Completed",
          properties: { total: 42 },
          messageId: "m-track-1",
        },
      });
      assert.equal(track.statusCode, 200, track.body);
      const [customer] = await customers(ctx.alpha.businessId);
      assert.equal(customer?.user_id, "u1");
      assert.equal(customer?.email, "ada@example.com");
      assert.equal(customer?.phone, "+4915112345678");
      assert.equal(customer?.timezone, "Europe/Berlin");
      assert.equal(customer?.locale, "de-DE");
      const stored = await events(ctx.alpha.businessId);
      assert.deepEqual(
        stored.map((e) => [e.type, e.name, e.message_id]),
        [
          ["identify", null, "m-identify-1"],
          ["track", "Order Completed", "m-track-1"],
        ],
      );
    });

    it("de-duplicates by messageId", async () => {
      const payload = { userId: "u1", event: "Clicked", messageId: "m-dup" };
      const first = await ctx.app.inject({
        method: "POST",
        url: "/v1/track",
        headers: basic(ctx.alpha.writeKey),
        payload,
      });
      const second = await ctx.app.inject({
        method: "POST",
        url: "/v1/track",
        headers: basic(ctx.alpha.writeKey),
        payload,
      });
      assert.equal(first.json().accepted, 1);
      assert.deepEqual(second.json(), { success: true, accepted: 0, duplicates: 1, rejected: [] });
      const dups = (await events(ctx.alpha.businessId)).filter((e) => e.message_id === "m-dup");
      assert.equal(dups.length, 1);
    });

    it("stores the valid messages of a batch and lists the rejected ones by index", async () => {
      const response = await ctx.app.inject({
        method: "POST",
        url: "/v1/batch",
        payload: {
          writeKey: ctx.alpha.writeKey,
          batch: [
            { type: "track", userId: "u2", event: "Viewed", messageId: "b-1" },
            { type: "track", userId: "u2", messageId: "b-2" },
            { type: "teleport", userId: "u2", messageId: "b-3" },
            { type: "identify", anonymousId: "anon-9", traits: { phone: "12" }, messageId: "b-4" },
            { type: "page", anonymousId: "anon-9", name: "Pricing", messageId: "b-5" },
          ],
        },
      });
      assert.equal(response.statusCode, 200, response.body);
      const result = response.json();
      assert.equal(result.accepted, 2);
      assert.deepEqual(
        result.rejected.map((r: { index: number; code: string }) => [r.index, r.code]),
        [
          [1, "missing_event"],
          [2, "invalid_type"],
          [3, "invalid_phone"],
        ],
      );
      const ids = (await events(ctx.alpha.businessId)).map((e) => e.message_id);
      assert.ok(ids.includes("b-1") && ids.includes("b-5"));
      assert.ok(!ids.includes("b-4"), "a rejected identify stores nothing");
    });

    it("merges an anonymous visitor into the user who identifies", async () => {
      const send = (payload: object) =>
        ctx.app.inject({
          method: "POST",
          url: "/v1/batch",
          headers: basic(ctx.alpha.writeKey),
          payload: { batch: [payload] },
        });
      await send({ type: "track", anonymousId: "anon-merge", event: "Viewed", messageId: "mg-1" });
      await send({ type: "identify", userId: "u-merge", traits: { name: "Grace" }, messageId: "mg-0" });
      await send({ type: "identify", userId: "u-merge", anonymousId: "anon-merge", messageId: "mg-2" });
      const all = await customers(ctx.alpha.businessId);
      const merged = all.filter((c) => c.user_id === "u-merge");
      assert.equal(merged.length, 1);
      const byCustomer = (await events(ctx.alpha.businessId)).filter((e) => e.message_id.startsWith("mg-"));
      assert.ok(
        byCustomer.every((e) => e.customer_id === merged[0]?.id),
        "events moved to the identified customer",
      );
      assert.equal(
        all.filter(
          (c) =>
            c.user_id === null && c.id !== merged[0]?.id && byCustomer.some((e) => e.customer_id === c.id),
        ).length,
        0,
      );
    });

    it("corrects the client's clock skew from sentAt", async () => {
      const now = Date.now();
      const skew = 3_600_000; // the device's clock is an hour fast
      await ctx.app.inject({
        method: "POST",
        url: "/v1/track",
        headers: basic(ctx.alpha.writeKey),
        payload: {
          userId: "u1",
          event: "Skewed",
          messageId: "m-skew",
          timestamp: new Date(now + skew - 60_000).toISOString(),
          sentAt: new Date(now + skew).toISOString(),
        },
      });
      const event = (await events(ctx.alpha.businessId)).find((e) => e.message_id === "m-skew");
      assert.ok(event);
      const happened = now - 60_000;
      assert.ok(
        Math.abs(Number(event.timestamp) - happened) < 5_000,
        `timestamp ${event.timestamp} ≈ ${happened}`,
      );
    });

    it("answers 401 for a missing or wrong write key and a secret key", async () => {
      for (const headers of [{}, basic("wk_nope"), basic(ctx.alpha.apiKey)]) {
        const response = await ctx.app.inject({
          method: "POST",
          url: "/v1/track",
          headers,
          payload: { userId: "x", event: "E" },
        });
        assert.equal(response.statusCode, 401);
        assert.match(response.json().error.code, /write_key/);
      }
    });

    it("answers 400 for malformed JSON and an all-invalid call, 413 over the size limits", async () => {
      const headers = { ...basic(ctx.alpha.writeKey), "content-type": "application/json" };
      const malformed = await ctx.app.inject({ method: "POST", url: "/v1/batch", headers, payload: "{" });
      assert.equal(malformed.statusCode, 400);
      assert.equal(malformed.json().error.code, "invalid_json");
      const invalid = await ctx.app.inject({
        method: "POST",
        url: "/v1/track",
        headers,
        payload: { userId: "x" },
      });
      assert.equal(invalid.statusCode, 400);
      assert.equal(invalid.json().error.code, "missing_event");
      const big = await ctx.app.inject({
        method: "POST",
        url: "/v1/track",
        headers,
        payload: { userId: "x", event: "E", properties: { blob: "x".repeat(40_000) } },
      });
      assert.equal(big.statusCode, 413);
      assert.match(big.json().error.message, /32768 bytes/);
      const batch = Array.from({ length: 300 }, (_, i) => ({
        type: "track",
        userId: "x",
        event: "E",
        properties: { pad: "y".repeat(2000) },
        messageId: `big-${i}`,
      }));
      const bigBatch = await ctx.app.inject({
        method: "POST",
        url: "/v1/batch",
        headers,
        payload: { batch },
      });
      assert.equal(bigBatch.statusCode, 413);
      assert.match(bigBatch.json().error.message, /512000 bytes/);
      assert.equal(
        (await events(ctx.alpha.businessId)).filter((e) => e.message_id.startsWith("big-")).length,
        0,
      );
    });

    it("rejects a batch message over 32 KB, counted in UTF-8 bytes, and stores the others", async () => {
      const response = await ctx.app.inject({
        method: "POST",
        url: "/v1/batch",
        headers: basic(ctx.alpha.writeKey),
        payload: {
          batch: [
            { type: "track", userId: "x", event: "E", messageId: "size-ok" },
            // 20,000 characters, 40,000 bytes: under the limit in characters, over it in bytes.
            {
              type: "track",
              userId: "x",
              event: "E",
              messageId: "size-big",
              properties: { note: "é".repeat(20_000) },
            },
          ],
        },
      });
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json().accepted, 1);
      assert.deepEqual(
        response.json().rejected.map((r: { index: number; code: string }) => [r.index, r.code]),
        [[1, "message_too_large"]],
      );
      const stored = (await events(ctx.alpha.businessId)).map((e) => e.message_id);
      assert.ok(stored.includes("size-ok"));
      assert.ok(!stored.includes("size-big"));
    });

    it("refuses new customers over the plan's limit with a message naming it", async () => {
      await ctx.store.db
        .updateTable("businesses")
        .set({ plan: "starter" })
        .where("id", "=", ctx.beta.businessId)
        .execute();
      let rejected = 0;
      for (let round = 0; round < 3; round++) {
        const batch = Array.from({ length: 400 }, (_, i) => ({
          type: "identify",
          userId: `cap-${round}-${i}`,
          messageId: `cap-${round}-${i}`,
        }));
        const response = await ctx.app.inject({
          method: "POST",
          url: "/v1/batch",
          headers: basic(ctx.beta.writeKey),
          payload: { batch },
        });
        const refused = response
          .json()
          .rejected.filter((r: { code: string }) => r.code === "plan_limit_reached");
        for (const r of refused) assert.equal(r.details.upgradeTo, "lite", "each refusal names the upgrade");
        rejected += refused.length;
      }
      assert.equal(rejected, 200);
      assert.equal((await customers(ctx.beta.businessId)).length, 1_000);
      const over = await ctx.app.inject({
        method: "POST",
        url: "/v1/identify",
        headers: basic(ctx.beta.writeKey),
        payload: { userId: "one-too-many" },
      });
      assert.equal(over.statusCode, 402, "a plan limit is a payment-required refusal, as on the API");
      assert.equal(over.json().error.code, "plan_limit_reached");
      assert.match(over.json().error.message, /Starter plan allows 1,000 customers/);
      assert.deepEqual(
        { plan: over.json().error.details.plan, limit: over.json().error.details.limit },
        { plan: "starter", limit: 1_000 },
      );
      const known = await ctx.app.inject({
        method: "POST",
        url: "/v1/track",
        headers: basic(ctx.beta.writeKey),
        payload: { userId: "cap-0-1", event: "Still welcome" },
      });
      assert.equal(known.statusCode, 200, "known customers keep sending events");
    });
  });
}
