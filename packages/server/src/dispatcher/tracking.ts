import type { Resources } from "../resources";
import { writeJson } from "../store/json";

/** What a provider callback (or a tracked open or click) can say about a sent message. */
export type TrackedStatus = "delivered" | "opened" | "clicked" | "bounced" | "failed";

/**
 * How far along a delivery is. A callback moves it only forward, whatever order callbacks
 * arrive in (a late "sent" after "delivered", a duplicate "delivered"): sent < delivered <
 * opened < clicked, and a bounce or failure ranks beside delivered — the first of the two to
 * arrive stands.
 */
export const STATUS_RANK: Record<string, number> = {
  queued: 0,
  sending: 0,
  sent: 1,
  delivered: 2,
  bounced: 2,
  failed: 2,
  opened: 3,
  clicked: 4,
};

/** The statuses of a sent delivery that `status` moves forward from. */
export function statusesBelow(status: TrackedStatus): string[] {
  const rank = STATUS_RANK[status]!;
  return Object.entries(STATUS_RANK)
    .filter(([, n]) => n >= 1 && n < rank)
    .map(([s]) => s);
}

export interface TrackedDelivery {
  id: string;
  customerId: string;
  channel: string;
  journeyId: string | null;
  status: string;
}

/**
 * Moves the delivery the provider knows as `providerMessageId` forward to `status`; answers the
 * delivery (with its status after the call) or null when no delivery has that id. Only a
 * delivery that was sent moves.
 *
 * @example await advanceDelivery(r, "bus_…", "SM123", "delivered")
 * @example await advanceDelivery(r, "bus_…", "wamid.…", "failed", { code: "131047", message: "…" })
 */
export async function advanceDelivery(
  r: Resources,
  businessId: string,
  providerMessageId: string,
  status: TrackedStatus,
  detail?: { code?: string; message: string },
): Promise<TrackedDelivery | null> {
  const lower = statusesBelow(status);
  const now = r.clock.now();
  await r.store.db
    .updateTable("deliveries")
    .set({
      status,
      updated_at: now,
      ...(detail ? { detail: writeJson({ reason: status, ...detail }) } : {}),
    })
    .where("business_id", "=", businessId)
    .where("message_id", "=", providerMessageId)
    .where("status", "in", lower)
    .execute();
  const row = await r.store.db
    .selectFrom("deliveries")
    .select(["id", "customer_id", "channel", "journey_id", "status"])
    .where("business_id", "=", businessId)
    .where("message_id", "=", providerMessageId)
    .executeTakeFirst();
  return row
    ? {
        id: row.id,
        customerId: row.customer_id,
        channel: row.channel,
        journeyId: row.journey_id,
        status: row.status,
      }
    : null;
}

/** The same by delivery id (open pixels and click links carry the delivery id, signed). */
export async function advanceDeliveryById(
  r: Resources,
  businessId: string,
  deliveryId: string,
  status: TrackedStatus,
): Promise<boolean> {
  const lower = statusesBelow(status);
  const result = await r.store.db
    .updateTable("deliveries")
    .set({ status, updated_at: r.clock.now() })
    .where("business_id", "=", businessId)
    .where("id", "=", deliveryId)
    .where("status", "in", lower)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
