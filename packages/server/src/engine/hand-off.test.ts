import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { ManualClock } from "../clock";
import { claimedDeliveryRow } from "../dispatcher/testing";
import type { DeliveriesTable } from "../store/schema";
import { insertEmailCustomers } from "../testing/customers";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney, queueEntries } from "../testing/email-journey";
import { useStore } from "../testing/use-store";
import { BatchWrites } from "./batch";
import { DefinitionCache } from "./definitions";
import type { DeliveryHandOff } from "./hand-off";
import { runDue } from "./run-due";

const T0 = Date.UTC(2026, 0, 5, 9);
const LEASE = 60_000;

/** A hand-off with `room` places that records what it was given. */
function recordingHandOff(room: number): DeliveryHandOff & { taken: DeliveriesTable[][] } {
  const taken: DeliveriesTable[][] = [];
  return {
    leaseMs: LEASE,
    taken,
    room: () => room,
    take: (rows) => {
      taken.push(rows);
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] engine hand-off to the dispatcher`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect, { clock: () => new ManualClock(T0) });
    const t = {} as { businessId: string; journeyId: string };
    let n = 0;

    /** A fresh business with an active one-email journey and `count` customers due to enter it. */
    beforeEach(async () => {
      if (dialect.skip) return;
      const r = ctx.resources;
      const _db = ctx.store.db;
      ({ businessId: t.businessId } = await createBusinessWithOwner(r, {
        name: `Hand-off ${++n}`,
        plan: "enterprise",
        ownerEmail: `hand-off${n}@example.com`,
      }));
      t.journeyId = await activeEmailJourney(r, t.businessId, { type: "event", event: "Signed Up" }, T0);
      const customers = [1, 2, 3].map((i) => `cus_h${n}_${i}`);
      await insertEmailCustomers(ctx.store, t.businessId, customers, T0);
      await queueEntries(ctx.store, t.businessId, t.journeyId, customers, T0);
    });

    const deliveries = () =>
      ctx.store.db
        .selectFrom("deliveries")
        .select(["id", "status", "attempts", "lease_until", "next_attempt_at"])
        .where("business_id", "=", t.businessId)
        .orderBy("id")
        .execute();

    it("writes as many new deliveries as the dispatcher has room for already claimed, and hands them over", async () => {
      const handOff = recordingHandOff(2);
      const result = await runDue(ctx.resources, new DefinitionCache(), { limit: 100, handOff });
      assert.equal(result.queued, 3);
      assert.equal(result.handedOff, 2);

      assert.equal(handOff.taken.length, 1, "handed over once, after the batch's commit");
      const handed = handOff.taken[0]!;
      const rows = await deliveries();
      const claimed = rows.filter((row) => row.status === "sending");
      assert.deepEqual(
        handed.map((d) => d.id).sort(),
        claimed.map((row) => row.id),
        "exactly the claimed rows are handed over",
      );
      for (const row of claimed) {
        // As a claim leaves them: attempt 1 (the fence), leased, not due again before the lease ends.
        assert.equal(Number(row.attempts), 1);
        assert.equal(Number(row.lease_until), T0 + LEASE);
        assert.equal(Number(row.next_attempt_at), T0 + LEASE);
      }
      const queued = rows.filter((row) => row.status === "queued");
      assert.equal(queued.length, 1, "the one past the room waits in the outbox for a claim");
      assert.equal(Number(queued[0]!.attempts), 0);
      assert.equal(queued[0]!.lease_until, null);
      assert.equal(Number(queued[0]!.next_attempt_at), T0);
    });

    it("hands nothing over, and queues every delivery, when the dispatcher has no room", async () => {
      const handOff = recordingHandOff(0);
      const result = await runDue(ctx.resources, new DefinitionCache(), { limit: 100, handOff });
      assert.equal(result.queued, 3);
      assert.equal(result.handedOff, 0);
      assert.deepEqual(handOff.taken, []);
      assert.deepEqual(
        (await deliveries()).map((row) => row.status),
        ["queued", "queued", "queued"],
      );
    });

    it("hands over only deliveries it inserted: one whose key is already in the outbox stays with its owner", async () => {
      const db = ctx.store.db;
      const row = (id: string, key: string) =>
        claimedDeliveryRow({
          businessId: t.businessId,
          id,
          deliveryKey: key,
          customerId: `cus_h${n}_1`,
          templateId: "tpl_hi",
          journeyId: t.journeyId,
          enrollmentId: `enr_${key}`,
          at: T0,
          leaseUntil: T0 + LEASE,
        });
      // A batch run again after a crash: its first delivery is in the outbox already, held by
      // whichever worker claimed it since.
      const inserted = await ctx.store.unflushedTransaction(async (trx) => {
        const first = new BatchWrites();
        first.deliveries.push(row(`dlv_h${n}_old`, `k${n}_a`));
        await first.flush(trx, ctx.store, t.businessId, []);
        const again = new BatchWrites();
        again.deliveries.push(row(`dlv_h${n}_a`, `k${n}_a`), row(`dlv_h${n}_b`, `k${n}_b`));
        return again.flush(trx, ctx.store, t.businessId, []);
      });
      assert.deepEqual(
        inserted.map((d) => d.id),
        [`dlv_h${n}_b`],
      );
      const stored = await db
        .selectFrom("deliveries")
        .select("id")
        .where("business_id", "=", t.businessId)
        .where("delivery_key", "=", `k${n}_a`)
        .execute();
      assert.deepEqual(
        stored.map((s) => s.id),
        [`dlv_h${n}_old`],
      );
    });
  });
}
