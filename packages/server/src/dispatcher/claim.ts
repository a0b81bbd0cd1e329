import { sql } from "kysely";
import type { Resources } from "../resources";
import { CLAIMABLE } from "../store/claimable";
import { groupWrite } from "../store/group-write";
import type { DeliveriesTable } from "../store/schema";
import { type ClaimedDelivery, toClaimedDelivery } from "./delivery";

/**
 * Claims up to `limit` due deliveries in one statement: queued ones whose `next_attempt_at`
 * has come, and `sending` ones whose lease ran out (a worker died or hung mid-send). Each
 * becomes `sending` with `attempts + 1` (the new fence) and a lease until `now + leaseMs`;
 * `next_attempt_at` follows the lease, so one index on (status, next_attempt_at) finds both.
 * PostgreSQL skips rows other workers hold (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
 *
 * @example const batch = await claimDeliveries(r, { limit: 100, leaseMs: 60_000 });
 */
export async function claimDeliveries(
  r: Resources,
  options: { limit: number; leaseMs: number },
): Promise<ClaimedDelivery[]> {
  const now = r.clock.now();
  const lease = now + options.leaseMs;
  const { store } = r;
  const rows =
    store.dialect === "postgres"
      ? await sql<DeliveriesTable>`
          update deliveries d
          set status = 'sending', attempts = d.attempts + 1, lease_until = ${lease},
              next_attempt_at = ${lease}, updated_at = ${now}
          from (
            select business_id, id from deliveries
            where ${CLAIMABLE} and next_attempt_at <= ${now}
            order by next_attempt_at
            limit ${options.limit}
            for update skip locked
          ) due
          where d.business_id = due.business_id and d.id = due.id
          returning d.*`.execute(store.db)
      : await store.unflushedTransaction((trx) =>
          sql<DeliveriesTable>`
            update deliveries
            set status = 'sending', attempts = attempts + 1, lease_until = ${lease},
                next_attempt_at = ${lease}, updated_at = ${now}
            where rowid in (
              select rowid from deliveries
              where ${CLAIMABLE} and next_attempt_at <= ${now}
              order by next_attempt_at
              limit ${options.limit}
            )
            returning *`.execute(trx),
        );
  // Nothing is sent before the claim — and the engine's unflushed steps that queued these
  // deliveries — are on disk: a power cut cannot undo a delivery that went out.
  if (store.dialect === "sqlite" && rows.rows.length > 0) await store.syncLog();
  return rows.rows.map(toClaimedDelivery);
}

/**
 * Re-checks the fence right before a send and extends the lease for it: false when another
 * worker has claimed the delivery since (this attempt must not send).
 */
export async function holdFence(r: Resources, d: ClaimedDelivery, leaseMs: number): Promise<boolean> {
  const lease = r.clock.now() + leaseMs;
  // Grouped with the other sends' fence checks and records: one commit for many.
  const result = await groupWrite(r.store, (db) =>
    db
      .updateTable("deliveries")
      .set({ lease_until: lease, next_attempt_at: lease })
      .where("business_id", "=", d.businessId)
      .where("id", "=", d.id)
      .where("attempts", "=", d.attempt)
      .where("status", "=", "sending")
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) === 1;
}
