import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ProviderCache } from "../channels/providers";
import { putChannel } from "../channels/setup";
import { startTestSmtpServer, type TestSmtpServer } from "../channels/test-smtp-server";
import { ManualClock } from "../clock";
import { createCustomer } from "../customers/edit";
import type { Resources } from "../resources";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";
import { claimDeliveries } from "./claim";
import { deliver } from "./deliver";
import { dispatchDue } from "./dispatch";
import { batchLookups } from "./lookups";
import { resolveOptions } from "./options";
import { recordOutcome } from "./record";
import { deliveryRow, queueDelivery, trailOf } from "./testing";

let named = 0;
/** A name no other template or journey of the test's business has (names are unique). */
const unique = (name: string) => `${name} ${++named}`;

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] dispatcher attempt fence`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const t = {} as { smtp: TestSmtpServer; r: Resources; clock: ManualClock; providers: ProviderCache };

    before(async () => {
      if (dialect.skip) return;
      t.smtp = await startTestSmtpServer();
      t.clock = new ManualClock(Date.UTC(2030, 0, 1));
      t.r = { ...ctx.resources, clock: t.clock };
      t.providers = localProviders();
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
        name: unique("F"),
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

    it("records outcomes finishing together in one go: each fenced, each enrollment's trail in order", async () => {
      const businessId = ctx.alpha.businessId;
      const first = await queue();
      const enrollmentId = first.enrollmentId;
      const { customer } = await createCustomer(t.r, businessId, { email: "together@example.com" });
      const tpl = await createTemplate(t.r, businessId, {
        name: unique("T"),
        channel: "email",
        subject: "S",
        body: "B",
      });
      const more = [];
      for (const nodeId of ["second", "third"])
        more.push(
          await queueDelivery(t.r, {
            businessId,
            customerId: customer.id,
            templateId: tpl.id,
            enrollmentId,
            nodeId,
          }),
        );
      const other = await queueDelivery(t.r, { businessId, customerId: customer.id, templateId: tpl.id });
      const late = await queueDelivery(t.r, { businessId, customerId: customer.id, templateId: tpl.id });
      // The engine wrote the enrollment's first trail row.
      await t.r.store.db
        .insertInto("enrollment_trail")
        .values({
          business_id: businessId,
          enrollment_id: enrollmentId,
          seq: 1,
          at: 1,
          entry: '{"type":"entered"}',
        })
        .execute();
      const mine = new Set([first.id, ...more.map((m) => m.id), other.id, late.id]);
      const claimed = (await claimDeliveries(t.r, { limit: 100, leaseMs: 1_000 })).filter((d) =>
        mine.has(d.id),
      );
      assert.equal(claimed.length, 5);
      // `late`'s worker hangs past its lease and another takes it over.
      t.clock.advance(1_001);
      const retaken = (await claimDeliveries(t.r, { limit: 100, leaseMs: 60_000 })).filter((d) =>
        mine.has(d.id),
      );
      const byId = new Map(claimed.map((d) => [d.id, d]));
      const stale = byId.get(late.id)!;
      for (const d of retaken) if (d.id !== late.id) byId.set(d.id, d); // the others' current attempts

      const results = await Promise.all([
        recordOutcome(t.r, byId.get(first.id)!, { status: "sent", messageId: "<one@shop.example>" }),
        recordOutcome(t.r, byId.get(more[0]!.id)!, {
          status: "skipped",
          reason: "no_consent",
          why: "unsubscribed",
        }),
        recordOutcome(t.r, byId.get(more[1]!.id)!, { status: "failed", reason: "permanent", why: "550" }),
        recordOutcome(t.r, byId.get(other.id)!, {
          status: "retrying",
          retryAt: t.clock.now() + 5_000,
          why: "421",
        }),
        recordOutcome(t.r, stale, { status: "sent", messageId: "<late@shop.example>" }),
      ]);
      assert.deepEqual(results, [true, true, true, true, false], "only the stale attempt lost its fence");
      assert.deepEqual(
        (await trailOf(t.r, businessId, enrollmentId)).map((e) => [e.seq, e.type]),
        [
          [1, "entered"],
          [2, "sent"],
          [3, "skipped"],
          [4, "failed"],
        ],
      );
      const status = async (id: string) => (await deliveryRow(t.r, businessId, id)).status;
      assert.equal((await deliveryRow(t.r, businessId, first.id)).message_id, "<one@shop.example>");
      assert.equal(await status(other.id), "queued", "a retry goes back in the queue");
      assert.equal(await status(late.id), "sending", "still held by the attempt that took it over");
    });
  });
}
