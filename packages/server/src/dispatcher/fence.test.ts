import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ProviderCache } from "../channels/providers";
import { putChannel } from "../channels/setup";
import { startTestSmtpServer, type TestSmtpServer } from "../channels/test-smtp-server";
import { ManualClock } from "../clock";
import { createCustomer } from "../customers/edit";
import type { Resources } from "../resources";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { claimDeliveries } from "./claim";
import { deliver } from "./deliver";
import { dispatchDue } from "./dispatch";
import { batchLookups } from "./lookups";
import { resolveOptions } from "./options";
import { recordOutcome } from "./record";
import { deliveryRow, queueDelivery, trailOf } from "./testing";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] dispatcher attempt fence`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const t = {} as { smtp: TestSmtpServer; r: Resources; clock: ManualClock; providers: ProviderCache };

    before(async () => {
      if (dialect.skip) return;
      t.smtp = await startTestSmtpServer();
      t.clock = new ManualClock(Date.UTC(2030, 0, 1));
      t.r = { ...ctx.resources, clock: t.clock };
      t.providers = new ProviderCache();
      await putChannel(t.r, ctx.alpha.businessId, "email", {
        provider: "smtp",
        host: "127.0.0.1",
        port: t.smtp.port,
        secure: false,
        from: "news@shop.example",
      });
    });
    after(async () => {
      await t.providers?.close();
      await t.smtp?.close();
    });

    const queue = async () => {
      const businessId = ctx.alpha.businessId;
      const { customer } = await createCustomer(t.r, businessId, {
        email: `fence${Math.random()}@example.com`,
        subscriptions: { email: "subscribed" },
      });
      const tpl = await createTemplate(t.r, businessId, {
        name: "F",
        channel: "email",
        subject: "S",
        body: "<p>B</p>",
      });
      return queueDelivery(t.r, { businessId, customerId: customer.id, templateId: tpl.id });
    };

    it("a stale attempt whose lease expired and was re-claimed can neither send nor record", async () => {
      const d = await queue();
      const options = resolveOptions({
        providers: t.providers,
        publicUrl: "https://journeys.test",
        leaseMs: 1_000,
      });
      const [stale] = await claimDeliveries(t.r, { limit: 10, leaseMs: 1_000 });
      assert.equal(stale?.id, d.id);
      assert.equal(stale?.attempt, 1);
      assert.deepEqual(
        await claimDeliveries(t.r, { limit: 10, leaseMs: 1_000 }),
        [],
        "held while the lease runs",
      );

      t.clock.advance(1_001); // the stale worker hung past its lease; another claims the delivery
      const [fresh] = await claimDeliveries(t.r, { limit: 10, leaseMs: 60_000 });
      assert.equal(fresh?.attempt, 2);

      assert.equal(
        await deliver(t.r, stale!, batchLookups(t.r), options),
        "lost",
        "the re-check before sending fails",
      );
      assert.equal(t.smtp.messages.filter((m) => m.messageId === `<${d.id}@shop.example>`).length, 0);
      assert.equal(await deliver(t.r, fresh!, batchLookups(t.r), options), "sent");
      assert.equal(
        await recordOutcome(t.r, stale!, { status: "failed", reason: "permanent", why: "late" }),
        false,
        "the stale attempt cannot overwrite the result",
      );
      const row = await deliveryRow(t.r, ctx.alpha.businessId, d.id);
      assert.equal(row.status, "sent");
      assert.equal(Number(row.attempts), 2);
      assert.equal(t.smtp.messages.filter((m) => m.messageId === `<${d.id}@shop.example>`).length, 1);
      assert.deepEqual(
        (await trailOf(t.r, ctx.alpha.businessId, d.enrollmentId)).map((e) => e.type),
        ["sent"],
      );
    });

    it("re-claims a delivery whose worker died mid-send, and gives up after the last attempt", async () => {
      const d = await queue();
      const options = {
        providers: t.providers,
        publicUrl: "https://journeys.test",
        retry: { maxAttempts: 2 },
      };
      await claimDeliveries(t.r, { limit: 10, leaseMs: 1_000 }); // attempt 1 dies
      t.clock.advance(1_001);
      await claimDeliveries(t.r, { limit: 10, leaseMs: 1_000 }); // attempt 2 dies
      t.clock.advance(1_001);
      const report = await dispatchDue(t.r, options);
      assert.equal(report.failed, 1);
      const row = await deliveryRow(t.r, ctx.alpha.businessId, d.id);
      assert.equal(row.status, "failed");
      assert.equal(row.detail?.reason, "attempts_exhausted");
    });
  });
}
