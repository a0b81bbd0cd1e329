import type { Kysely } from "kysely";
import type { Resources } from "../resources";
import { groupWrite } from "../store/group-write";
import { writeJson } from "../store/json";
import type { Database } from "../store/schema";
import type { ClaimedDelivery, Outcome } from "./delivery";

/**
 * Records what became of an attempt, fenced on the attempt number: the update matches only
 * while the delivery is still `sending` under this attempt, so a stale worker (whose lease
 * expired and whose delivery was claimed again) records nothing. In the same transaction the
 * outcome is appended to the enrollment's trail. Resolves to false when the fence was lost.
 *
 * @example await recordOutcome(r, delivery, { status: "sent", messageId: "<dlv_…@shop.example>" })
 */
export async function recordOutcome(r: Resources, d: ClaimedDelivery, outcome: Outcome): Promise<boolean> {
  const now = r.clock.now();
  const set = (() => {
    switch (outcome.status) {
      case "sent":
        return { status: "sent", message_id: outcome.messageId, sent_at: now, detail: writeJson(null) };
      case "skipped":
      case "failed":
        return {
          status: outcome.status,
          detail: writeJson({ reason: outcome.reason, message: outcome.why }),
        };
      case "retrying":
        return {
          status: "queued",
          next_attempt_at: outcome.retryAt,
          detail: writeJson({ error: outcome.why }),
        };
    }
  })();
  return groupWrite(r.store, async (trx) => {
    const result = await trx
      .updateTable("deliveries")
      .set({ ...set, lease_until: null, updated_at: now })
      .where("business_id", "=", d.businessId)
      .where("id", "=", d.id)
      .where("attempts", "=", d.attempt)
      .where("status", "=", "sending")
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    if (d.enrollmentId)
      await appendTrail(trx, d.businessId, d.enrollmentId, now, trailEntry(d, outcome, now));
    return true;
  });
}

/** The trail entry of an outcome, worded for support ("why did (not) she get it?"). */
export function trailEntry(d: ClaimedDelivery, outcome: Outcome, at: number): Record<string, unknown> {
  const what = `${d.channel} message "${d.nodeId ?? d.deliveryKey}"`;
  const base = { at, nodeId: d.nodeId, deliveryId: d.id, channel: d.channel, attempt: d.attempt };
  switch (outcome.status) {
    case "sent":
      return {
        type: "sent",
        ...base,
        messageId: outcome.messageId,
        message: `Sent ${what} (${outcome.messageId}).`,
      };
    case "skipped":
      return {
        type: "skipped",
        ...base,
        reason: outcome.reason,
        message: `Skipped ${what}: ${outcome.why}.`,
      };
    case "failed":
      return {
        type: "failed",
        ...base,
        reason: outcome.reason,
        message: `Could not send ${what}: ${outcome.why}.`,
      };
    case "retrying":
      return {
        type: "retrying",
        ...base,
        retryAt: outcome.retryAt,
        message: `Attempt ${d.attempt} of ${what} failed (${outcome.why}); trying again at ${new Date(outcome.retryAt).toISOString()}.`,
      };
  }
}

/**
 * Appends to an enrollment's trail at the next `seq`. The engine appends to the same trail in
 * its own transactions; if both take the same number, the insert does nothing and is retried.
 */
export async function appendTrail(
  db: Kysely<Database>,
  businessId: string,
  enrollmentId: string,
  at: number,
  entry: Record<string, unknown>,
): Promise<void> {
  for (let tries = 0; tries < 10; tries++) {
    const row = await db
      .selectFrom("enrollment_trail")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("business_id", "=", businessId)
      .where("enrollment_id", "=", enrollmentId)
      .executeTakeFirst();
    const seq = Number(row?.seq ?? 0) + 1;
    const inserted = await db
      .insertInto("enrollment_trail")
      .values({ business_id: businessId, enrollment_id: enrollmentId, seq, at, entry: writeJson(entry) })
      .onConflict((oc) => oc.columns(["business_id", "enrollment_id", "seq"]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return;
  }
  throw new Error(`could not append to the trail of enrollment ${enrollmentId}`);
}
