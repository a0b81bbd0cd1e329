import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { changeSettings } from "../accounts/settings";
import { putChannel } from "../channels/setup";
import { startTestSmtpServer, type TestSmtpServer } from "../channels/test-smtp-server";
import { ManualClock } from "../clock";
import { createCustomer } from "../customers/edit";
import { readJson } from "../store/json";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";
import { dispatchDue } from "./dispatch";
import type { DispatchOptions } from "./options";
import { takeSendSlot } from "./send-rate";
import { deliveryRow, queueDelivery } from "./testing";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] send-rate limit per business and channel`, { skip: dialect.skip }, () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const ctx = useApp(dialect, { clock: () => clock });
    let smtp: TestSmtpServer;
    let options: DispatchOptions;
    before(async () => {
      if (dialect.skip) return;
      smtp = await startTestSmtpServer();
      options = { providers: localProviders(), publicUrl: "https://journeys.test", random: () => 0.5 };
    });
    after(async () => {
      await options?.providers.close();
      await smtp?.close();
    });

    it("lets a second's burst through, then one per interval, shared by every caller", async () => {
      const now = clock.now();
      const take = (at: number) => takeSendSlot(ctx.resources, "bus_rate", "sms", 4, at);
      for (let i = 0; i < 4; i++) assert.equal(await take(now), null, `burst ${i}`);
      assert.deepEqual(await take(now), { until: now + 250 });
      assert.deepEqual(await take(now + 100), { until: now + 250 }, "a refusal changes nothing");
      assert.equal(await take(now + 250), null);
      assert.deepEqual(await take(now + 250), { until: now + 500 });
      // Another channel and another business have limits of their own.
      assert.equal(await takeSendSlot(ctx.resources, "bus_rate", "email", 4, now), null);
      assert.equal(await takeSendSlot(ctx.resources, "bus_other", "sms", 4, now), null);
      // After a quiet spell the burst is back, not banked beyond one second.
      const later = now + 60_000;
      for (let i = 0; i < 4; i++) assert.equal(await take(later), null);
      assert.notEqual(await take(later), null);
    });

    it("defers what is over the rate to the next free moment, transactional messages too, and sends it then", async () => {
      const b = ctx.alpha.businessId;
      await putChannel(ctx.resources, b, "email", {
        provider: "smtp",
        host: "127.0.0.1",
        port: smtp.port,
        secure: false,
        from: "Shop <news@shop.example>",
      });
      await changeSettings(ctx.resources, b, { sendRates: { email: 2 } });
      const receipt = await createTemplate(ctx.resources, b, {
        name: "Receipt",
        channel: "email",
        subject: "Receipt",
        body: "<p>Thanks</p>",
        transactional: true,
      });
      const queued = [];
      for (let i = 0; i < 5; i++) {
        const { customer } = await createCustomer(ctx.resources, b, { email: `rate${i}@example.com` });
        queued.push(
          await queueDelivery(ctx.resources, {
            businessId: b,
            customerId: customer.id,
            templateId: receipt.id,
          }),
        );
      }
      const first = await dispatchDue(ctx.resources, options);
      assert.equal(first.sent, 2);
      assert.equal(first.deferred, 3);
      const rows = await Promise.all(queued.map((q) => deliveryRow(ctx.resources, b, q.id)));
      const waiting = rows.filter((row) => row.status === "queued");
      assert.equal(waiting.length, 3);
      const detail = readJson<{ deferred: string; message: string }>(waiting[0]!.detail);
      assert.equal(detail?.deferred, "send_rate");
      assert.equal(detail?.message, "the business sends at most 2 email messages per second");
      assert.equal(Number(waiting[0]!.next_attempt_at), clock.now() + 500);
      for (let step = 0; step < 6; step++) {
        clock.advance(500);
        await dispatchDue(ctx.resources, options);
      }
      const after = await Promise.all(queued.map((q) => deliveryRow(ctx.resources, b, q.id)));
      assert.deepEqual(
        after.map((row) => row.status),
        ["sent", "sent", "sent", "sent", "sent"],
      );
      assert.deepEqual(
        after.map((row) => row.attempts),
        [1, 1, 1, 1, 1],
        "a deferral uses no attempt",
      );
      await smtp.waitFor(5);
      await changeSettings(ctx.resources, b, { sendRates: {} });
    });

    it("refuses a rate that is not messages per second on a channel", async () => {
      for (const sendRates of [{ email: 0 }, { email: 5000 }, { fax: 1 }]) {
        await assert.rejects(
          changeSettings(ctx.resources, ctx.alpha.businessId, { sendRates } as never),
          /invalid_settings|settings\.sendRates/,
        );
      }
    });
  });
}
