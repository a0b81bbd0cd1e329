import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { putChannel } from "../channels/setup";
import { startTestSmtpServer, type TestSmtpServer } from "../channels/test-smtp-server";
import { ManualClock } from "../clock";
import { createCustomer } from "../customers/edit";
import { DefinitionCache } from "../engine/definitions";
import { runDue } from "../engine/run-due";
import { activateJourney } from "../journeys/lifecycle";
import { createJourney } from "../journeys/service";
import type { Resources } from "../resources";
import { writeJson } from "../store/json";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { queueEntries } from "../testing/email-journey";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";
import { dispatchDue } from "./dispatch";
import type { DispatchOptions } from "./options";
import { deliveryRow, queueDelivery, trailOf } from "./testing";

let named = 0;
/** A name no other template or journey of the test's business has (names are unique). */
const unique = (name: string) => `${name} ${++named}`;

/**
 * A message node's fallback: when the customer cannot be reached on its channel, the next
 * channel of the list gets its own delivery, and the trail says which channel delivered.
 */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] fallback channels`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const t = {} as { smtp: TestSmtpServer; r: Resources; options: DispatchOptions; businessId: string };

    before(async () => {
      if (dialect.skip) return;
      t.smtp = await startTestSmtpServer();
      t.r = { ...ctx.resources, clock: new ManualClock(Date.UTC(2030, 0, 1)) };
      t.businessId = ctx.alpha.businessId;
      t.options = {
        providers: localProviders(),
        publicUrl: "https://journeys.test",
        random: () => 0.5,
        retry: { maxAttempts: 3, baseMs: 30_000 },
      };
      await putChannel(t.r, t.businessId, "email", {
        provider: "smtp",
        host: "127.0.0.1",
        port: t.smtp.port,
        secure: false,
        from: "Shop <news@shop.example>",
      });
    });
    after(async () => {
      await t.options?.providers.close();
      await t.smtp?.close();
    });

    const templates = async () => ({
      sms: (
        await createTemplate(t.r, t.businessId, {
          name: unique("SMS"),
          channel: "sms",
          body: "Hi {{ customer.firstName }}",
        })
      ).id,
      email: (
        await createTemplate(t.r, t.businessId, {
          name: unique("Mail"),
          channel: "email",
          subject: "Hi",
          body: "<p>Hi {{ customer.firstName }}</p>",
        })
      ).id,
    });
    const drain = async () => {
      for (let i = 0; i < 5; i++) await dispatchDue(t.r, t.options);
    };

    it("tries the next channel when the first cannot reach the customer, and says which one delivered", async () => {
      const tpl = await templates();
      const { customer } = await createCustomer(t.r, t.businessId, {
        email: "ada@example.com",
        attributes: { firstName: "Ada" },
        subscriptions: { email: "subscribed", sms: "subscribed" },
      });
      const first = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId: customer.id,
        channel: "sms",
        templateId: tpl.sms,
        fallback: [{ channel: "email", templateId: tpl.email }],
      });
      await drain();

      assert.equal((await deliveryRow(t.r, t.businessId, first.id)).status, "skipped");
      const deliveries = await t.r.store.db
        .selectFrom("deliveries")
        .selectAll()
        .where("business_id", "=", t.businessId)
        .where("enrollment_id", "=", first.enrollmentId)
        .orderBy("delivery_key")
        .execute();
      assert.deepEqual(
        deliveries.map((d) => [d.channel, d.status, d.delivery_key]),
        [
          ["sms", "skipped", `${first.enrollmentId}:welcome`],
          ["email", "sent", `${first.enrollmentId}:welcome>email`],
        ],
      );
      assert.equal(t.smtp.messages.filter((m) => JSON.stringify(m.to).includes("ada@example.com")).length, 1);
      const trail = await trailOf(t.r, t.businessId, first.enrollmentId);
      const messages = trail.map((e) => String((e as { message?: string }).message));
      assert.match(
        messages[0]!,
        /Skipped sms message "welcome": the customer has no phone number\. Trying email instead\./,
      );
      assert.match(messages[1]!, /^Sent email message "welcome"/);
    });

    it("runs a journey whose SMS step falls back to email: the engine hands the chain over", async () => {
      const tpl = await templates();
      // An SMS set-up whose provider this server does not have: activation sees the channel
      // set up; sending skips it as not configured, and the email fallback goes out.
      await t.r.store.db
        .insertInto("channels")
        .values({
          business_id: t.businessId,
          channel: "sms",
          provider: "carrier-pigeon",
          config: writeJson({}),
          updated_at: 0,
        })
        .onConflict((oc) => oc.columns(["business_id", "channel"]).doNothing())
        .execute();
      const journey = await createJourney(t.r, t.businessId, {
        name: unique("SMS, else email"),
        trigger: { type: "event", event: "Ordered" },
        start: "thanks",
        nodes: {
          thanks: {
            type: "message",
            channel: "sms",
            templateId: tpl.sms,
            fallback: ["email"],
            fallbackTemplates: { email: tpl.email },
            next: null,
          },
        },
      });
      await activateJourney(t.r, t.businessId, journey.id);
      const { customer } = await createCustomer(t.r, t.businessId, {
        email: "dee@example.com",
        phone: "+14155550100",
        attributes: { firstName: "Dee" },
        subscriptions: { email: "subscribed", sms: "subscribed" },
      });
      await queueEntries(t.r.store, t.businessId, journey.id, [customer.id], t.r.clock.now());
      await runDue(t.r, new DefinitionCache(), { limit: 100 });
      await drain();
      const rows = await t.r.store.db
        .selectFrom("deliveries")
        .select(["channel", "status", "detail"])
        .where("business_id", "=", t.businessId)
        .where("journey_id", "=", journey.id)
        .orderBy("delivery_key")
        .execute();
      assert.deepEqual(
        rows.map((r) => [r.channel, r.status]),
        [
          ["sms", "skipped"],
          ["email", "sent"],
        ],
      );
      assert.equal(t.smtp.messages.filter((m) => JSON.stringify(m.to).includes("dee@example.com")).length, 1);
    });

    it("stops at the end of the list, and does not fall back when the message went out", async () => {
      const tpl = await templates();
      const { customer } = await createCustomer(t.r, t.businessId, {
        userId: "bo",
        attributes: { firstName: "Bo" },
      });
      const none = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId: customer.id,
        channel: "sms",
        templateId: tpl.sms,
        fallback: [{ channel: "email", templateId: tpl.email }],
      });
      await drain();
      const chain = await t.r.store.db
        .selectFrom("deliveries")
        .select(["channel", "status"])
        .where("business_id", "=", t.businessId)
        .where("enrollment_id", "=", none.enrollmentId)
        .orderBy("delivery_key")
        .execute();
      assert.deepEqual(chain, [
        { channel: "sms", status: "skipped" },
        { channel: "email", status: "skipped" },
      ]);

      const { customer: reached } = await createCustomer(t.r, t.businessId, {
        email: "cy@example.com",
        subscriptions: { email: "subscribed" },
      });
      const sent = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId: reached.id,
        channel: "email",
        templateId: tpl.email,
        fallback: [{ channel: "sms", templateId: tpl.sms }],
      });
      await drain();
      const after = await t.r.store.db
        .selectFrom("deliveries")
        .select(["channel", "status"])
        .where("business_id", "=", t.businessId)
        .where("enrollment_id", "=", sent.enrollmentId)
        .execute();
      assert.deepEqual(after, [{ channel: "email", status: "sent" }]);
    });
  });
}
