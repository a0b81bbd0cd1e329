import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { changeSettings } from "../accounts/settings";
import { putChannel } from "../channels/setup";
import { startTestSmtpServer, type TestSmtpServer } from "../channels/test-smtp-server";
import { ManualClock } from "../clock";
import { createCustomer } from "../customers/edit";
import type { Resources } from "../resources";
import { api, expect } from "../segments/testing";
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

const H = 3_600_000;

/** Quiet hours and frequency caps defer a marketing message to the next allowed moment, never drop it. */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] quiet hours and frequency caps`, { skip: dialect.skip }, () => {
    // 02:00 UTC on 1 July 2030: 22:00 the day before in New York (EDT), 04:00 in Paris (CEST).
    const clock = new ManualClock(Date.UTC(2030, 6, 1, 2, 0));
    const ctx = useApp(dialect, { clock: () => clock });
    const t = {} as { smtp: TestSmtpServer; r: Resources; options: DispatchOptions; businessId: string };

    before(async () => {
      if (dialect.skip) return;
      t.smtp = await startTestSmtpServer();
      t.r = ctx.resources;
      t.businessId = ctx.alpha.businessId;
      t.options = {
        providers: localProviders(),
        publicUrl: "https://journeys.test",
        random: () => 0.5,
        // One attempt: a deferral must not use it up.
        retry: { maxAttempts: 1, baseMs: 30_000 },
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

    const template = async (transactional = false) =>
      (
        await createTemplate(t.r, t.businessId, {
          name: unique(transactional ? "Receipt" : "News"),
          channel: "email",
          subject: "Hi",
          body: "<p>Hi</p>",
          transactional,
        })
      ).id;
    const customer = async (email: string, timezone?: string) =>
      (
        await createCustomer(t.r, t.businessId, {
          email,
          ...(timezone ? { timezone } : {}),
          subscriptions: { email: "subscribed" },
        })
      ).customer.id;

    it("defers a message inside quiet hours to their end in the customer's zone, else the business's", async () => {
      await changeSettings(t.r, t.businessId, {
        timezone: "Europe/Paris",
        quietHours: { start: "21:00", end: "08:00" },
      });
      const news = await template();
      const ny = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId: await customer("ny@example.com", "America/New_York"),
        templateId: news,
      });
      const paris = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId: await customer("fr@example.com"),
        templateId: news,
      });
      const receipt = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId: await customer("rc@example.com", "America/New_York"),
        templateId: await template(true),
      });
      const report = await dispatchDue(t.r, t.options);
      assert.equal(report.deferred, 2);
      assert.equal(
        (await deliveryRow(t.r, t.businessId, receipt.id)).status,
        "sent",
        "transactional goes now",
      );

      const nyRow = await deliveryRow(t.r, t.businessId, ny.id);
      assert.equal(nyRow.status, "queued");
      assert.equal(Number(nyRow.next_attempt_at), Date.UTC(2030, 6, 1, 12, 0), "08:00 EDT");
      assert.equal(
        Number((await deliveryRow(t.r, t.businessId, paris.id)).next_attempt_at),
        Date.UTC(2030, 6, 1, 6, 0),
        "08:00 CEST",
      );
      const [entry] = await trailOf(t.r, t.businessId, ny.enrollmentId);
      assert.match(
        String((entry as { message: string }).message),
        /^Deferred email message "welcome" to 2030-07-01T12:00:00\.000Z: quiet hours 21:00–08:00 in America\/New_York\.$/,
      );

      clock.set(Date.UTC(2030, 6, 1, 6, 0));
      await dispatchDue(t.r, t.options);
      assert.equal((await deliveryRow(t.r, t.businessId, paris.id)).status, "sent");
      assert.equal((await deliveryRow(t.r, t.businessId, ny.id)).status, "queued", "still night in New York");
      clock.set(Date.UTC(2030, 6, 1, 12, 0));
      await dispatchDue(t.r, t.options);
      assert.equal(
        (await deliveryRow(t.r, t.businessId, ny.id)).status,
        "sent",
        "the deferral used no attempt",
      );
      await changeSettings(t.r, t.businessId, { quietHours: null });
    });

    it("defers a message over a frequency cap until the oldest send leaves the window", async () => {
      await changeSettings(t.r, t.businessId, {
        frequencyCaps: [{ channel: "email", max: 1, perHours: 24 }],
      });
      const news = await template();
      const who = await customer("capped@example.com");
      const first = await queueDelivery(t.r, { businessId: t.businessId, customerId: who, templateId: news });
      await dispatchDue(t.r, t.options);
      const sentAt = Number((await deliveryRow(t.r, t.businessId, first.id)).sent_at);
      clock.advance(2 * H);
      const second = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId: who,
        templateId: news,
      });
      await dispatchDue(t.r, t.options);
      const row = await deliveryRow(t.r, t.businessId, second.id);
      assert.equal(row.status, "queued");
      assert.equal(Number(row.next_attempt_at), sentAt + 24 * H);
      const detail = row.detail as { deferred: string; message: string };
      assert.equal(detail.deferred, "frequency_cap");
      assert.equal(detail.message, "at most 1 email message per 24 h");
      clock.set(sentAt + 24 * H);
      await dispatchDue(t.r, t.options);
      assert.equal((await deliveryRow(t.r, t.businessId, second.id)).status, "sent");
      assert.equal(
        t.smtp.messages.filter((m) => JSON.stringify(m.to).includes("capped@example.com")).length,
        2,
      );
    });

    it("refuses malformed settings through the API, naming the field", async () => {
      for (const [settings, message] of [
        [{ timezone: "Mars/Olympus" }, /settings\.timezone must be an IANA time zone/],
        [{ quietHours: { start: "9pm", end: "08:00" } }, /settings\.quietHours\.start must be a time/],
        [
          { frequencyCaps: [{ channel: "sms", max: 0, perHours: 24 }] },
          /settings\.frequencyCaps\[0\]\.max must be/,
        ],
      ] as const) {
        const refused = await api(ctx, ctx.alpha, "PATCH", "", { settings }).then(expect(400));
        assert.equal(refused.error.code, "invalid_settings");
        assert.match(refused.error.message, message);
      }
      const ok = await api(ctx, ctx.alpha, "PATCH", "", {
        settings: { timezone: "Asia/Tokyo", quietHours: { start: "22:00", end: "07:30" } },
      }).then(expect(200));
      assert.deepEqual(
        { timezone: ok.settings.timezone, quietHours: ok.settings.quietHours },
        { timezone: "Asia/Tokyo", quietHours: { start: "22:00", end: "07:30" } },
      );
    });
  });
}
