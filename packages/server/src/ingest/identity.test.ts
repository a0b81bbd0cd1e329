import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";

const basic = (writeKey: string) => ({
  authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`,
});

/** Who a message is about: alias linking, and refusals that must leave identities untouched. */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] ingestion identities`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const send = async (payload: Record<string, unknown>) => {
      const response = await ctx.app.inject({
        method: "POST",
        url: `/v1/${payload.type}`,
        headers: basic(ctx.alpha.writeKey),
        payload,
      });
      return { status: response.statusCode, body: response.json() };
    };
    const customers = () =>
      ctx.store.db
        .selectFrom("customers")
        .select(["id", "user_id", "email"])
        .where("business_id", "=", ctx.alpha.businessId)
        .execute();
    const aliases = () =>
      ctx.store.db
        .selectFrom("customer_aliases")
        .select(["anonymous_id", "customer_id"])
        .where("business_id", "=", ctx.alpha.businessId)
        .execute();
    const eventsOf = async (messageIds: string[]) =>
      ctx.store.db
        .selectFrom("events")
        .select(["message_id", "customer_id", "properties"])
        .where("business_id", "=", ctx.alpha.businessId)
        .where("message_id", "in", messageIds)
        .execute();

    it("a rejected identify creates no customer and no alias", async () => {
      const before = [(await customers()).length, (await aliases()).length];
      const bad = await send({
        type: "identify",
        anonymousId: "anon-bad-phone",
        messageId: "rej-1",
        traits: { phone: "not-a-phone" },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, "invalid_phone");
      const taken = await send({ type: "identify", userId: "u-owner", traits: { email: "owner@x.test" } });
      assert.equal(taken.status, 200);
      const clash = await send({
        type: "identify",
        userId: "u-clash",
        anonymousId: "anon-clash",
        messageId: "rej-2",
        traits: { email: "owner@x.test" },
      });
      assert.equal(clash.status, 409);
      assert.equal(clash.body.error.code, "email_taken");
      assert.deepEqual(
        [(await customers()).length, (await aliases()).length],
        [before[0]! + 1, before[1]],
        "only u-owner was added",
      );
      assert.equal((await customers()).filter((c) => c.user_id === "u-clash").length, 0);
    });

    it("a rejected identify of a known visitor does not merge it", async () => {
      await send({ type: "track", anonymousId: "anon-keep", event: "Viewed" });
      await send({ type: "identify", userId: "u-keep" });
      const bad = await send({
        type: "identify",
        userId: "u-keep",
        anonymousId: "anon-keep",
        traits: { timezone: "Mars/Olympus" },
      });
      assert.equal(bad.status, 400);
      const visitor = (await aliases()).find((a) => a.anonymous_id === "anon-keep");
      const user = (await customers()).find((c) => c.user_id === "u-keep");
      assert.ok(visitor && user);
      assert.notEqual(visitor.customer_id, user.id, "the visitor stays a profile of its own");
      assert.ok((await customers()).some((c) => c.id === visitor.customer_id));
    });

    it("alias links a previousId not seen yet, so its later events reach the user", async () => {
      assert.equal((await send({ type: "alias", userId: "u-link", previousId: "anon-link" })).status, 200);
      await send({ type: "track", anonymousId: "anon-link", event: "Viewed", messageId: "link-1" });
      const [event] = await eventsOf(["link-1"]);
      const user = (await customers()).filter((c) => c.user_id === "u-link");
      assert.equal(user.length, 1);
      assert.equal(event?.customer_id, user[0]!.id);
    });

    it("alias from an old userId renames the profile when the new userId is unused", async () => {
      await send({ type: "identify", userId: "old-id", traits: { email: "renamed@x.test" } });
      await send({ type: "alias", userId: "new-id", previousId: "old-id" });
      const rows = (await customers()).filter((c) => ["old-id", "new-id"].includes(c.user_id ?? ""));
      assert.deepEqual(
        rows.map((c) => [c.user_id, c.email]),
        [["new-id", "renamed@x.test"]],
      );
    });

    it("alias from an old userId to an existing user merges the two profiles", async () => {
      await send({ type: "identify", userId: "first-id", traits: { email: "first@x.test" } });
      await send({ type: "track", userId: "first-id", event: "Viewed", messageId: "merge-1" });
      await send({ type: "identify", userId: "second-id" });
      await send({ type: "alias", userId: "second-id", previousId: "first-id" });
      const rows = (await customers()).filter((c) => ["first-id", "second-id"].includes(c.user_id ?? ""));
      assert.deepEqual(
        rows.map((c) => [c.user_id, c.email]),
        [["second-id", "first@x.test"]],
      );
      assert.equal((await eventsOf(["merge-1"]))[0]?.customer_id, rows[0]!.id);
    });

    it("keeps a group call's groupId and an alias call's previousId with the event", async () => {
      await send({
        type: "group",
        userId: "u-group",
        groupId: "acme-42",
        traits: { name: "Acme" },
        messageId: "grp-1",
      });
      await send({ type: "alias", userId: "u-group", previousId: "anon-group", messageId: "als-1" });
      const stored = new Map(
        (await eventsOf(["grp-1", "als-1"])).map((e) => [
          e.message_id,
          typeof e.properties === "string" ? JSON.parse(e.properties) : e.properties,
        ]),
      );
      assert.deepEqual(stored.get("grp-1"), { groupId: "acme-42", traits: { name: "Acme" } });
      assert.deepEqual(stored.get("als-1"), { previousId: "anon-group" });
    });
  });
}
