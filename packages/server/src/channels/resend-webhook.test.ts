import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { queueDelivery } from "../dispatcher/testing";
import { api, expect } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { svixSignature } from "./resend-webhook";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] resend webhook`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const post = (event: object, sign: { secret?: string; at?: number } = {}) => {
      const body = JSON.stringify(event);
      const id = `msg_${Math.random().toString(36).slice(2)}`;
      const timestamp = String(Math.floor((sign.at ?? ctx.resources.clock.now()) / 1000));
      return ctx.app.inject({
        method: "POST",
        url: `/webhooks/${ctx.alpha.businessId}/email/resend`,
        headers: {
          "content-type": "application/json",
          "svix-id": id,
          "svix-timestamp": timestamp,
          "svix-signature": `v1,bm9wZQ== ${svixSignature(sign.secret ?? SECRET, id, timestamp, body)}`,
        },
        payload: body,
      });
    };
    const setUp = () =>
      api(ctx, ctx.alpha, "PUT", "/channels/email", {
        provider: "resend",
        apiKey: "re_abcdefgh12345678",
        from: "news@shop.example",
        webhookSecret: SECRET,
      }).then(expect(200));
    const sentTo = async (emailAddress: string, emailId: string) => {
      const customer = await api(ctx, ctx.alpha, "POST", "/customers", {
        email: emailAddress,
        subscriptions: { email: "subscribed" },
      }).then(expect(201));
      const { id } = await queueDelivery(ctx.resources, {
        businessId: ctx.alpha.businessId,
        customerId: customer.id,
        templateId: "tpl_x",
      });
      await ctx.store.db
        .updateTable("deliveries")
        .set({ status: "sent", message_id: emailId })
        .where("id", "=", id)
        .execute();
      return { delivery: id, customer: customer.id as string };
    };
    const state = async (sent: { delivery: string; customer: string }) => ({
      status: (
        await ctx.store.db
          .selectFrom("deliveries")
          .select("status")
          .where("id", "=", sent.delivery)
          .executeTakeFirstOrThrow()
      ).status,
      email: (await api(ctx, ctx.alpha, "GET", `/customers/${sent.customer}`).then(expect(200))).subscriptions
        .email,
    });
    const event = (type: string, emailId: string, data: object = {}) => ({
      type,
      created_at: new Date().toISOString(),
      data: { email_id: emailId, to: ["x@example.com"], ...data },
    });

    it("refuses a forged, foreign or replayed event and changes nothing", async () => {
      await setUp();
      const sent = await sentTo("forged@example.com", "em_1");
      const bounce = event("email.bounced", "em_1", {
        bounce: { type: "Permanent", message: "no such user" },
      });
      assert.equal((await post(bounce, { secret: "whsec_b3RoZXJvdGhlcm90aGVyb3RoZXI=" })).statusCode, 403);
      assert.equal((await post(bounce, { at: ctx.resources.clock.now() - 10 * 60_000 })).statusCode, 403);
      const unsigned = await ctx.app.inject({
        method: "POST",
        url: `/webhooks/${ctx.alpha.businessId}/email/resend`,
        headers: { "content-type": "application/json" },
        payload: JSON.stringify(bounce),
      });
      assert.equal(unsigned.statusCode, 403);
      assert.deepEqual(await state(sent), { status: "sent", email: "subscribed" });
    });

    it("moves deliveries forward and suppresses email after a hard bounce or a complaint", async () => {
      await setUp();
      const opened = await sentTo("opens@example.com", "em_2");
      for (const type of ["email.opened", "email.delivered", "email.sent"])
        assert.equal((await post(event(type, "em_2"))).statusCode, 204);
      assert.deepEqual(await state(opened), { status: "opened", email: "subscribed" });

      const soft = await sentTo("soft@example.com", "em_3");
      await post(event("email.bounced", "em_3", { bounce: { type: "Transient", message: "mailbox full" } }));
      assert.deepEqual(await state(soft), { status: "bounced", email: "subscribed" });

      const hard = await sentTo("hard@example.com", "em_4");
      await post(event("email.bounced", "em_4", { bounce: { type: "Permanent", message: "no such user" } }));
      assert.deepEqual(await state(hard), { status: "bounced", email: "unsubscribed" });

      const complaint = await sentTo("spam@example.com", "em_5");
      await post(event("email.delivered", "em_5"));
      await post(event("email.complained", "em_5"));
      assert.deepEqual(await state(complaint), { status: "delivered", email: "unsubscribed" });
      // An event about a message this business never sent is answered and ignored.
      assert.equal((await post(event("email.bounced", "em_unknown"))).statusCode, 204);
    });
  });
}
