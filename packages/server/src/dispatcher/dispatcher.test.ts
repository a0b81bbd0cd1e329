import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createBusiness } from "../accounts/businesses";
import { putChannel } from "../channels/setup";
import { rawHeader, startTestSmtpServer, type TestSmtpServer } from "../channels/test-smtp-server";
import { ManualClock } from "../clock";
import { createCustomer } from "../customers/edit";
import { customerById } from "../customers/find";
import type { Resources } from "../resources";
import { readJson } from "../store/json";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";
import { dispatchDue } from "./dispatch";
import type { DispatchOptions } from "./options";
import { deliveryRow, queueDelivery, trailOf } from "./testing";

let named = 0;
/** A name no other template or journey of the test's business has (names are unique). */
const unique = (name: string) => `${name} ${++named}`;

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] dispatcher`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const t = {} as {
      smtp: TestSmtpServer;
      r: Resources;
      clock: ManualClock;
      options: DispatchOptions;
      businessId: string;
    };

    before(async () => {
      if (dialect.skip) return;
      t.smtp = await startTestSmtpServer();
      t.clock = new ManualClock(Date.UTC(2030, 0, 1));
      t.r = { ...ctx.resources, clock: t.clock };
      t.businessId = ctx.alpha.businessId;
      t.options = {
        providers: localProviders(),
        publicUrl: "https://journeys.test/",
        random: () => 0.5,
        retry: { maxAttempts: 3, baseMs: 30_000 },
      };
      await setUpEmail(t.businessId);
    });
    after(async () => {
      await t.options?.providers.close();
      await t.smtp?.close();
    });

    const setUpEmail = (businessId: string) =>
      putChannel(t.r, businessId, "email", {
        provider: "smtp",
        host: "127.0.0.1",
        port: t.smtp.port,
        secure: false,
        from: "Shop <news@shop.example>",
      });
    const customer = async (patch: Record<string, unknown>, businessId = t.businessId) =>
      (await createCustomer(t.r, businessId, patch)).customer.id;
    const template = async (fields: Record<string, unknown> = {}, businessId = t.businessId) =>
      (
        await createTemplate(t.r, businessId, {
          name: unique("Welcome"),
          channel: "email",
          subject: "Welcome, {{ customer.firstName }}",
          body: "<p>Hi {{ customer.attributes.plan }} {{ event.coupon }} from {{ business.name }}</p>",
          ...fields,
        })
      ).id;
    const mailsWith = (messageId: string) => t.smtp.messages.filter((m) => m.messageId === messageId);

    it("sends a queued delivery rendered, with a text part, a stable Message-ID and one-click unsubscribe", async () => {
      const customerId = await customer({
        email: "ada@example.com",
        attributes: { firstName: "Ada", plan: "pro" },
        subscriptions: { email: "subscribed" },
      });
      const d = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId,
        templateId: await template(),
        event: { coupon: "SAVE10" },
      });
      const report = await dispatchDue(t.r, t.options);
      assert.deepEqual(report, {
        claimed: 1,
        sent: 1,
        skipped: 0,
        failed: 0,
        retried: 0,
        deferred: 0,
        lost: 0,
      });

      const [mail] = mailsWith(`<${d.id}@shop.example>`);
      assert.ok(mail, "the message arrived with Message-ID <delivery id@sender domain>");
      assert.equal(mail.subject, "Welcome, Ada");
      assert.match(String(mail.html), /<p>Hi pro SAVE10 from Alpha<\/p>/);
      assert.match(String(mail.text), /Hi pro SAVE10 from Alpha/);
      assert.deepEqual(t.smtp.recipients.at(-1), ["ada@example.com"]);
      const link = rawHeader(mail, "List-Unsubscribe");
      assert.match(String(link), /^<https:\/\/journeys\.test\/u\/bus_\w+\.cus_\w+\.email\.[\w-]+>$/);
      assert.equal(rawHeader(mail, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
      const url = String(link).slice(1, -1);
      assert.ok(String(mail.html).includes(url), "the body carries the unsubscribe link");
      assert.ok(String(mail.text).includes(url), "so does the text part");

      const row = await deliveryRow(t.r, t.businessId, d.id);
      assert.equal(row.status, "sent");
      assert.equal(row.message_id, `<${d.id}@shop.example>`);
      assert.equal(Number(row.sent_at), t.clock.now());
      const trail = await trailOf(t.r, t.businessId, d.enrollmentId);
      assert.deepEqual(
        trail.map((e) => [e.seq, e.type, e.deliveryId, e.nodeId, e.channel]),
        [[1, "sent", d.id, "welcome", "email"]],
      );
      assert.match(trail[0].message, /^Sent email message "welcome"/);
      assert.equal((await dispatchDue(t.r, t.options)).claimed, 0, "nothing is sent twice");

      // The one-click link unsubscribes (RFC 8058 POST); the next message is skipped.
      const path = new URL(url).pathname;
      const page = await ctx.app.inject({ method: "GET", url: path });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<form method="post">/);
      const click = await ctx.app.inject({
        method: "POST",
        url: path,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: "List-Unsubscribe=One-Click",
      });
      assert.equal(click.statusCode, 200, click.body);
      const after = await t.r.store.db
        .selectFrom("customers")
        .select("subscriptions")
        .where("id", "=", customerId)
        .executeTakeFirstOrThrow();
      assert.equal(
        readJson<{ channels: { email: string } }>(after.subscriptions).channels.email,
        "unsubscribed",
      );
      const next = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId,
        templateId: await template(),
      });
      assert.equal((await dispatchDue(t.r, t.options)).skipped, 1);
      assert.equal((await trailOf(t.r, t.businessId, next.enrollmentId))[0].reason, "no_consent");

      const forged = await ctx.app.inject({ method: "POST", url: `${path.slice(0, -3)}AAA` });
      assert.equal(forged.statusCode, 404);
    });

    it("skips with a reason when the customer cannot receive it, and records why in the trail", async () => {
      const templateId = await template();
      const receipt = await template({ transactional: true });
      const cases: Array<[string, { customerId: string; templateId: string; businessId?: string }]> = [
        [
          "no_email",
          {
            customerId: await customer({ phone: "+4915112345678", subscriptions: { email: "subscribed" } }),
            templateId,
          },
        ],
        [
          "no_consent",
          {
            customerId: await customer({ email: "un@example.com", subscriptions: { email: "unsubscribed" } }),
            templateId,
          },
        ],
        ["no_consent", { customerId: await customer({ email: "unknown@example.com" }), templateId }],
        [
          "template_missing",
          {
            customerId: await customer({ email: "t@example.com", subscriptions: { email: "subscribed" } }),
            templateId: "tpl_gone",
          },
        ],
      ];
      const beta = ctx.beta.businessId;
      const betaTemplate = await template({}, beta);
      cases.push([
        "channel_not_configured",
        {
          businessId: beta,
          customerId: await customer(
            { email: "b@example.com", subscriptions: { email: "subscribed" } },
            beta,
          ),
          templateId: betaTemplate,
        },
      ]);
      const queued = [];
      for (const [reason, c] of cases) {
        const businessId = c.businessId ?? t.businessId;
        queued.push({ reason, businessId, ...(await queueDelivery(t.r, { ...c, businessId })) });
      }
      // A transactional template needs no marketing consent.
      const transactional = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId: await customer({ email: "receipt@example.com" }),
        templateId: receipt,
      });

      const report = await dispatchDue(t.r, t.options);
      assert.deepEqual(report, {
        claimed: 6,
        sent: 1,
        skipped: 5,
        failed: 0,
        retried: 0,
        deferred: 0,
        lost: 0,
      });
      for (const q of queued) {
        const row = await deliveryRow(t.r, q.businessId, q.id);
        assert.equal(row.status, "skipped");
        assert.equal(row.detail?.reason, q.reason);
        const [entry] = await trailOf(t.r, q.businessId, q.enrollmentId);
        assert.equal(entry.type, "skipped");
        assert.equal(entry.reason, q.reason);
        assert.match(entry.message, /^Skipped email message "welcome": /);
      }
      assert.equal((await deliveryRow(t.r, t.businessId, transactional.id)).status, "sent");
    });

    it("counts email `unknown` as subscribed when the business runs email as opt-out", async () => {
      const optOut = await createBusiness(t.r, {
        name: unique("Opt-out"),
        plan: "growth",
        settings: { emailOptOut: true },
      });
      await setUpEmail(optOut.id);
      const d = await queueDelivery(t.r, {
        businessId: optOut.id,
        customerId: await customer({ email: "maybe@example.com" }, optOut.id),
        templateId: await template({}, optOut.id),
      });
      assert.equal((await dispatchDue(t.r, t.options)).sent, 1);
      assert.equal(mailsWith(`<${d.id}@shop.example>`).length, 1);
    });

    it("retries a temporary refusal after a jittered backoff and sends once", async () => {
      const customerId = await customer({
        email: "retry@example.com",
        subscriptions: { email: "subscribed" },
      });
      const d = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId,
        templateId: await template(),
      });
      t.smtp.failNext(451, "4.3.0 Mailbox busy, try again later");
      assert.equal((await dispatchDue(t.r, t.options)).retried, 1);
      let row = await deliveryRow(t.r, t.businessId, d.id);
      assert.equal(row.status, "queued");
      assert.equal(Number(row.next_attempt_at), t.clock.now() + 15_000, "random 0.5 × 30 s");
      assert.equal((await dispatchDue(t.r, t.options)).claimed, 0, "not due before the backoff ends");

      t.clock.advance(15_000);
      assert.equal((await dispatchDue(t.r, t.options)).sent, 1);
      row = await deliveryRow(t.r, t.businessId, d.id);
      assert.equal(row.status, "sent");
      assert.equal(Number(row.attempts), 2);
      assert.equal(mailsWith(`<${d.id}@shop.example>`).length, 1);
      const trail = await trailOf(t.r, t.businessId, d.enrollmentId);
      assert.deepEqual(
        trail.map((e) => e.type),
        ["retrying", "sent"],
      );
      assert.match(
        trail[0].message,
        /Attempt 1 of email message "welcome" failed \(.*451.*\); trying again at /,
      );
    });

    it("fails on a permanent refusal, and after the last attempt", async () => {
      const customerId = await customer({
        email: "gone@example.com",
        subscriptions: { email: "subscribed" },
      });
      const templateId = await template();
      const permanent = await queueDelivery(t.r, { businessId: t.businessId, customerId, templateId });
      t.smtp.failNext(550, "5.1.1 No such user");
      assert.equal((await dispatchDue(t.r, t.options)).failed, 1);
      const row = await deliveryRow(t.r, t.businessId, permanent.id);
      assert.equal(row.status, "failed");
      const [entry] = await trailOf(t.r, t.businessId, permanent.enrollmentId);
      assert.equal(entry.type, "failed");
      assert.match(entry.message, /550/);

      // The hard bounce suppressed that address: the next message goes to another customer.
      assert.equal((await customerById(t.r, t.businessId, customerId))?.subscriptions.email, "unsubscribed");
      const busyCustomer = await customer({
        email: "busy@example.com",
        subscriptions: { email: "subscribed" },
      });
      const busy = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId: busyCustomer,
        templateId,
      });
      t.smtp.failNext(451, "4.3.0 busy", 3);
      for (let i = 0; i < 3; i++) {
        await dispatchDue(t.r, t.options);
        t.clock.advance(3_600_000);
      }
      const last = await deliveryRow(t.r, t.businessId, busy.id);
      assert.equal(last.status, "failed");
      assert.equal(last.detail?.reason, "attempts_exhausted");
      const trail = await trailOf(t.r, t.businessId, busy.enrollmentId);
      assert.deepEqual(
        trail.map((e) => e.type),
        ["retrying", "retrying", "failed"],
      );
    });
  });
}
