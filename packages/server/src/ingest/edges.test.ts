import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";

const basic = (writeKey: string) => ({
  authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`,
});

/** What SDKs and broken devices send at the edges: times out of range, clocks ahead, odd context. */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] ingestion edges`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const post = (path: string, payload: object) =>
      ctx.app.inject({ method: "POST", url: `/v1/${path}`, headers: basic(ctx.alpha.writeKey), payload });
    const event = (messageId: string) =>
      ctx.store.db
        .selectFrom("events")
        .select(["timestamp", "received_at"])
        .where("business_id", "=", ctx.alpha.businessId)
        .where("message_id", "=", messageId)
        .executeTakeFirst();

    it("rejects a timestamp out of range by itself, keeping the rest of the batch", async () => {
      const batch = await post("batch", {
        batch: [
          { type: "track", userId: "edge", event: "Ok", messageId: "edge-ok" },
          { type: "track", userId: "edge", event: "Far", messageId: "edge-far", timestamp: 1e20 },
        ],
      });
      assert.equal(batch.statusCode, 200, batch.body);
      assert.deepEqual(
        batch.json().rejected.map((r: { index: number; code: string }) => [r.index, r.code]),
        [[1, "invalid_timestamp"]],
      );
      assert.ok(await event("edge-ok"));
      const single = await post("track", { userId: "edge", event: "Far", timestamp: -1e20 });
      assert.equal(single.statusCode, 400, single.body);
      assert.equal(single.json().error.code, "invalid_timestamp");
    });

    it("stores an event dated more than a day ahead of its arrival at its arrival", async () => {
      const ahead = await post("track", {
        userId: "edge",
        event: "Bought",
        messageId: "edge-ahead",
        timestamp: "2099-01-01T00:00:00Z",
      });
      assert.equal(ahead.statusCode, 200, ahead.body);
      const stored = await event("edge-ahead");
      assert.equal(Number(stored?.timestamp), Number(stored?.received_at));
    });

    it("ignores a device time zone or locale it cannot read instead of refusing the identify", async () => {
      const identify = await post("identify", {
        userId: "edge-device",
        messageId: "edge-device",
        traits: { plan: "pro" },
        context: { timezone: "GMT+05:30", locale: "en-" },
      });
      assert.equal(identify.statusCode, 200, identify.body);
      const customer = await ctx.store.db
        .selectFrom("customers")
        .select(["timezone", "locale", "attributes"])
        .where("business_id", "=", ctx.alpha.businessId)
        .where("user_id", "=", "edge-device")
        .executeTakeFirstOrThrow();
      assert.deepEqual([customer.timezone, customer.locale], [null, null]);
      const traitZone = await post("identify", {
        userId: "edge-device",
        traits: { timezone: "Mars/Olympus" },
      });
      assert.equal(traitZone.statusCode, 400, "a zone the user sent as a trait is still checked");
    });
  });
}
