import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ProviderCache } from "../channels/providers";
import { putChannel } from "../channels/setup";
import { startTestSmtpServer, type TestSmtpServer } from "../channels/test-smtp-server";
import { dispatchDue } from "../dispatcher/dispatch";
import { DefinitionCache } from "../engine/definitions";
import { settle } from "../engine/loop";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney } from "../testing/email-journey";
import { localProviders } from "../testing/outbound";
import { bearer, useApp } from "../testing/use-app";

const basic = (writeKey: string) => ({
  authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`,
});

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] customer GDPR export`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const t = {} as { smtp: TestSmtpServer; providers: ProviderCache };
    before(async () => {
      if (dialect.skip) return;
      t.smtp = await startTestSmtpServer();
      t.providers = localProviders();
    });
    after(async () => {
      await t.providers?.close();
      await t.smtp?.close();
    });
    const url = (path: string) => `/api/v1/businesses/${ctx.alpha.businessId}/customers${path}`;

    it("includes the customer's messages and journey enrollments with their trails, and no one else's", async () => {
      const r = ctx.resources;
      const businessId = ctx.alpha.businessId;
      const journeyId = await activeEmailJourney(
        r,
        businessId,
        { type: "event", event: "Signed Up" },
        Date.now(),
      );
      // The helper's channel points at a port nobody listens on; this test sends for real.
      await putChannel(r, businessId, "email", {
        provider: "smtp",
        host: "127.0.0.1",
        port: t.smtp.port,
        secure: false,
        from: "Shop <news@shop.example>",
      });
      const ids: Record<string, string> = {};
      for (const userId of ["ada", "bob"]) {
        const created = await ctx.app.inject({
          method: "POST",
          url: url(""),
          headers: bearer(ctx.alpha.apiKey),
          payload: { userId, email: `${userId}@example.com`, subscriptions: { email: "subscribed" } },
        });
        assert.equal(created.statusCode, 201, created.body);
        ids[userId] = created.json().id;
        const tracked = await ctx.app.inject({
          method: "POST",
          url: "/v1/track",
          headers: basic(ctx.alpha.writeKey),
          payload: { userId, event: "Signed Up", properties: { plan: "pro" } },
        });
        assert.equal(tracked.statusCode, 200, tracked.body);
      }
      await settle(r, new DefinitionCache());
      const sent = await dispatchDue(r, { providers: t.providers, publicUrl: "https://journeys.test/" });
      assert.equal(sent.sent, 2, JSON.stringify(sent));

      const exported = await ctx.app.inject({
        url: url(`/${ids.ada}/export`),
        headers: bearer(ctx.alpha.apiKey),
      });
      assert.equal(exported.statusCode, 200, exported.body);
      const data = exported.json();

      assert.equal(data.deliveries.length, 1, JSON.stringify(data.deliveries));
      const [delivery] = data.deliveries;
      assert.deepEqual(Object.keys(delivery).sort(), [
        "attempts",
        "channel",
        "createdAt",
        "detail",
        "enrollmentId",
        "id",
        "journeyId",
        "messageId",
        "nodeId",
        "sentAt",
        "status",
        "templateId",
        "updatedAt",
      ]);
      assert.deepEqual(
        [
          delivery.journeyId,
          delivery.nodeId,
          delivery.channel,
          delivery.templateId,
          delivery.status,
          delivery.attempts,
        ],
        [journeyId, "hi", "email", "tpl_hi", "sent", 1],
      );
      const mail = t.smtp.messages.find((m) => m.to && JSON.stringify(m.to).includes("ada@example.com"));
      assert.ok(mail, "ada's email went out");
      assert.equal(delivery.messageId, mail.messageId, "the Message-ID of the email she received");
      assert.equal(typeof delivery.sentAt, "number");

      assert.equal(data.enrollments.length, 1, JSON.stringify(data.enrollments));
      const [enrollment] = data.enrollments;
      assert.equal(delivery.enrollmentId, enrollment.id);
      assert.deepEqual(
        [enrollment.journeyId, enrollment.version, enrollment.run, enrollment.state, enrollment.nodeId],
        [journeyId, 1, 1, "exited", "hi"],
      );
      assert.equal(enrollment.exitReason, "completed");
      assert.deepEqual(enrollment.triggerEvent, { plan: "pro" });
      assert.equal(typeof enrollment.enteredAt, "number");
      assert.equal(typeof enrollment.updatedAt, "number");
      const types = enrollment.trail.map((e: { type: string }) => e.type);
      for (const type of ["entered", "queued", "exited", "sent"])
        assert.ok(types.includes(type), types.join());
      const seqs = enrollment.trail.map((e: { seq: number }) => e.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
      for (const entry of enrollment.trail) assert.equal(typeof entry.message, "string");

      // Bob went through the same journey: none of his rows are in Ada's export.
      const [bobDelivery, bobEnrollment] = await Promise.all([
        ctx.store.db.selectFrom("deliveries").select("id").where("customer_id", "=", ids.bob!).execute(),
        ctx.store.db.selectFrom("enrollments").select("id").where("customer_id", "=", ids.bob!).execute(),
      ]);
      assert.equal(bobDelivery.length, 1);
      assert.equal(bobEnrollment.length, 1);
      const text = exported.body;
      assert.ok(!text.includes(bobDelivery[0]!.id), "bob's delivery is not exported");
      assert.ok(!text.includes(bobEnrollment[0]!.id), "bob's enrollment is not exported");
      assert.ok(!text.includes("bob@example.com"));

      const bob = (
        await ctx.app.inject({ url: url(`/${ids.bob}/export`), headers: bearer(ctx.alpha.apiKey) })
      ).json();
      assert.deepEqual(
        bob.deliveries.map((d: { id: string }) => d.id),
        [bobDelivery[0]!.id],
      );
      assert.deepEqual(
        bob.enrollments.map((e: { id: string }) => e.id),
        [bobEnrollment[0]!.id],
      );
    });
  });
}
