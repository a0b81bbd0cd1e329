import type { Channel } from "@journeys/core";
import { JourneysError } from "../errors";
import type { Resources } from "../resources";
import { readJson } from "../store/json";
import type { DeliveriesTable } from "../store/schema";

/**
 * A delivery as the API shows it (DESIGN §5 Delivery). The stored statuses are the dispatcher's
 * own: `sending` (claimed, in flight) shows as `queued`, and a `queued` row held back by quiet
 * hours or a frequency cap shows as `deferred` with the reason and the moment it goes.
 */
export interface DeliveryView {
  id: string;
  channel: Channel;
  customerId: string;
  journeyId?: string;
  nodeId?: string;
  broadcastId?: string;
  status:
    | "queued"
    | "sent"
    | "delivered"
    | "opened"
    | "clicked"
    | "bounced"
    | "failed"
    | "skipped"
    | "deferred";
  /** Why it was skipped, failed, bounced or deferred (a stable code, e.g. `no_consent`, `quiet_hours`). */
  reason?: string;
  /** The same in words, or the last error of a send being retried. */
  message?: string;
  providerMessageId?: string;
  attempts: number;
  /** A deferred or retried delivery's next attempt. */
  nextAttemptAt?: number;
  sentAt?: number;
  /** When the status last changed. */
  at: number;
}

export interface DeliveryFilter {
  journeyId?: string;
  nodeId?: string;
  customerId?: string;
  broadcastId?: string;
  channel?: Channel;
}

export const DELIVERY_PAGE = { defaultLimit: 50, maxLimit: 200 };

/**
 * One page of a business's deliveries, newest first. The cursor is the last id of the page.
 *
 * @example await listDeliveries(r, "bus_…", { journeyId: "jrn_…" }, 50, null)
 */
export async function listDeliveries(
  r: Resources,
  businessId: string,
  filter: DeliveryFilter,
  limit: number,
  cursor: string | null,
): Promise<{ data: DeliveryView[]; nextCursor: string | null }> {
  // No broadcast sends yet: a broadcast's deliveries are none.
  if (filter.broadcastId !== undefined) return { data: [], nextCursor: null };
  let q = r.store.db.selectFrom("deliveries").selectAll().where("business_id", "=", businessId);
  if (filter.journeyId !== undefined) q = q.where("journey_id", "=", filter.journeyId);
  if (filter.nodeId !== undefined) q = q.where("node_id", "=", filter.nodeId);
  if (filter.customerId !== undefined) q = q.where("customer_id", "=", filter.customerId);
  if (filter.channel !== undefined) q = q.where("channel", "=", filter.channel);
  if (cursor !== null) q = q.where("id", "<", decodeCursor(cursor));
  const rows = await q
    .orderBy("id", "desc")
    .limit(limit + 1)
    .execute();
  const data = rows.slice(0, limit).map(toDeliveryView);
  const last = data.at(-1);
  return {
    data,
    nextCursor: rows.length > limit && last ? Buffer.from(last.id).toString("base64url") : null,
  };
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!/^dlv_[A-Za-z0-9_]{1,60}$/.test(id))
    throw new JourneysError("bad_request", "invalid_cursor", "cursor is not one this list gave out");
  return id;
}

interface StoredDetail {
  reason?: string;
  message?: string;
  error?: string;
  deferred?: string;
  until?: number;
}

export function toDeliveryView(row: DeliveriesTable): DeliveryView {
  const detail = (readJson<StoredDetail>(row.detail) ?? {}) as StoredDetail;
  const waiting = row.status === "queued" || row.status === "sending";
  const deferred = row.status === "queued" && typeof detail.deferred === "string";
  const status = (deferred ? "deferred" : waiting ? "queued" : row.status) as DeliveryView["status"];
  const reason = deferred ? detail.deferred : waiting ? undefined : detail.reason;
  const message = detail.message ?? detail.error;
  return {
    id: row.id,
    channel: row.channel as Channel,
    customerId: row.customer_id,
    ...(row.journey_id ? { journeyId: row.journey_id } : {}),
    ...(row.node_id ? { nodeId: row.node_id } : {}),
    status,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    ...(row.message_id ? { providerMessageId: row.message_id } : {}),
    attempts: Number(row.attempts),
    ...(waiting ? { nextAttemptAt: Number(row.next_attempt_at) } : {}),
    ...(row.sent_at !== null ? { sentAt: Number(row.sent_at) } : {}),
    at: Number(row.updated_at),
  };
}
