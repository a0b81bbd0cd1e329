import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ProviderCache } from "../channels/providers";
import { putChannel } from "../channels/setup";
import { startTestSmtpServer, type TestSmtpServer } from "../channels/test-smtp-server";
import { ManualClock } from "../clock";
import { createCustomer } from "../customers/edit";
import type { Resources } from "../resources";
import type { DeliveriesTable } from "../store/schema";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";
import { InHand } from "./in-hand";
import { startDispatcher } from "./loop";
import { claimedDeliveryRow, deliveryRow } from "./testing";

const T0 = Date.UTC(2030, 0, 1);
const LEASE = 60_000;

describe("deliveries in hand", () => {
  const row = (id: string) =>
    claimedDeliveryRow({
      businessId: "bus_1",
      id,
      deliveryKey: `enr_1:${id}`,
      customerId: "cus_1",
      templateId: "tpl_1",
      at: T0,
      leaseUntil: T0 + LEASE,
      event: { n: 1 },
    });

  it("has room up to its limit, gives deliveries out oldest first, and none once closed", () => {
    let takes = 0;
    const hand = new InHand({ leaseMs: LEASE, limit: 3, onTake: () => takes++ });
    assert.equal(hand.room(), 3);
    hand.take([row("a"), row("b")]);
    assert.equal(takes, 1, "a take wakes the dispatcher");
    assert.equal(hand.room(), 1);
    const [first] = hand.next(1);
    assert.deepEqual(
      { id: first?.id, attempt: first?.attempt, leaseUntil: first?.leaseUntil, event: first?.context?.event },
      { id: "a", attempt: 1, leaseUntil: T0 + LEASE, event: { n: 1 } },
    );
    assert.equal(hand.room(), 2);
    hand.close();
    assert.equal(hand.room(), 0, "a stopping dispatcher takes nothing new");
    assert.deepEqual(
      hand.next(10).map((d) => d.id),
      ["b"],
      "but what it holds is still given out",
    );
  });

  it("stays behind when something fell behind while a claim ran, until a later claim catches up", () => {
    const hand = new InHand({ leaseMs: LEASE, limit: 3, onTake: () => {} });
    assert.equal(hand.behind, true, "at the start the outbox may hold anything");
    const first = hand.mark();
    hand.caughtUp(first);
    assert.equal(hand.behind, false);

    const claim = hand.mark();
    hand.fallBehind(); // the engine queued deliveries while that claim was reading
    hand.caughtUp(claim);
    assert.equal(hand.behind, true, "the earlier claim cannot have seen them");
    hand.caughtUp(hand.mark());
    assert.equal(hand.behind, false);
  });
});

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] dispatcher loop with deliveries handed over`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect, { clock: () => new ManualClock(T0) });
    const t = {} as { smtp: TestSmtpServer; r: Resources; providers: ProviderCache; customerId: string };
    let templateId = "";

    before(async () => {
      if (dialect.skip) return;
      t.smtp = await startTestSmtpServer();
      t.r = ctx.resources;
      t.providers = localProviders();
      const businessId = ctx.alpha.businessId;
      await putChannel(t.r, businessId, "email", {
        provider: "smtp",
        host: "127.0.0.1",
        port: t.smtp.port,
        secure: false,
        from: "Shop <news@shop.example>",
      });
      templateId = (
        await createTemplate(t.r, businessId, {
          name: "Hi",
          channel: "email",
          subject: "Hi",
          body: "<p>Hi</p>",
        })
      ).id;
      t.customerId = (
        await createCustomer(t.r, businessId, {
          email: "ada@example.com",
          subscriptions: { email: "subscribed" },
        })
      ).customer.id;
    });
    after(async () => {
      await t.providers?.close();
      await t.smtp?.close();
    });

    /** A delivery written as the engine writes one it hands over: claimed, leased for a minute. */
    const claimedDelivery = async (id: string): Promise<DeliveriesTable> => {
      const row = claimedDeliveryRow({
        businessId: ctx.alpha.businessId,
        id,
        deliveryKey: `enr_${id}:hi`,
        customerId: t.customerId,
        templateId,
        at: T0,
        leaseUntil: T0 + LEASE,
      });
      await t.r.store.db.insertInto("deliveries").values(row).execute();
      return row;
    };

    const waitForStatus = async (id: string, status: string) => {
      for (let i = 0; i < 500; i++) {
        if ((await deliveryRow(t.r, ctx.alpha.businessId, id)).status === status) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.fail(`delivery ${id} never became ${status}`);
    };

    it("sends a delivery handed over at once, though its lease keeps any claim off it", async () => {
      // Polls only once a minute: what is sent here came through the hand, not a claim.
      const dispatcher = startDispatcher(
        t.r,
        { providers: t.providers, publicUrl: "https://journeys.test", pollMs: 60_000 },
        (error) => assert.fail(error as Error),
      );
      try {
        const d = await claimedDelivery(`dlv_hand_${dialect.name}_1`);
        dispatcher.handOff.take([d]);
        await waitForStatus(d.id, "sent");
        const row = await deliveryRow(t.r, ctx.alpha.businessId, d.id);
        assert.equal(Number(row.attempts), 1, "sent on the attempt the engine wrote: no claim came between");
        assert.equal(t.smtp.messages.filter((m) => m.messageId === `<${d.id}@shop.example>`).length, 1);
      } finally {
        await dispatcher.stop();
      }
    });

    it("sends what it holds before it stops, and takes nothing more once stopping", async () => {
      const dispatcher = startDispatcher(
        t.r,
        { providers: t.providers, publicUrl: "https://journeys.test", pollMs: 60_000 },
        (error) => assert.fail(error as Error),
      );
      const d = await claimedDelivery(`dlv_hand_${dialect.name}_2`);
      dispatcher.handOff.take([d]);
      const stopped = dispatcher.stop();
      assert.equal(dispatcher.handOff.room(), 0);
      await stopped;
      assert.equal((await deliveryRow(t.r, ctx.alpha.businessId, d.id)).status, "sent");
    });
  });
}
