import type { Channel } from "@journeys/core";
import { readJson } from "../store/json";
import type { DeliveriesTable } from "../store/schema";

/**
 * One outbox row as the dispatcher holds it after claiming it. Its life:
 *
 *   queued ──claim──▶ sending ──▶ sent | skipped | failed
 *     ▲                  │
 *     └── retry later ───┘   (and a lease that expires puts `sending` back up for claiming)
 *
 * A delivery the engine hands straight to its process's dispatcher (`engine/hand-off.ts`) is
 * written `sending` already, as if claimed: attempt 1, leased.
 *
 * `attempt` is the fence: the value of `attempts` this claim set. Whoever re-claims the row
 * after the lease expired bumps it, and from then on every write of the older attempt —
 * recording a result, renewing the lease before the send — matches no row.
 */
export interface ClaimedDelivery {
  businessId: string;
  id: string;
  deliveryKey: string;
  enrollmentId: string | null;
  journeyId: string | null;
  nodeId: string | null;
  customerId: string;
  channel: Channel;
  templateId: string;
  /**
   * `{ event: <trigger event properties> | null, fallback?: [{ channel, templateId }] }` — the
   * channels still to try, in order, when this one cannot reach the customer.
   */
  context: {
    event?: Record<string, unknown> | null;
    fallback?: Array<{ channel: Channel; templateId: string }>;
  } | null;
  attempt: number;
  leaseUntil: number;
}

/** Why a message was not sent although nothing failed: stored strings, never renamed. */
export type SkipReason =
  | "customer_missing"
  | "template_missing"
  | "journey_archived"
  | "no_email"
  | "no_phone"
  | "no_telegram_chat"
  | "no_push_subscription"
  | "no_consent"
  | "channel_not_configured"
  /** A WhatsApp template with only free text, and the customer has not written in 24 hours. */
  | "outside_whatsapp_window";

/** What became of one attempt. `retrying` puts the delivery back in the queue. */
export type Outcome =
  | { status: "sent"; messageId: string }
  | { status: "skipped"; reason: SkipReason; why: string }
  | { status: "failed"; reason: "permanent" | "render_failed" | "attempts_exhausted"; why: string }
  | { status: "retrying"; retryAt: number; why: string }
  /** Quiet hours or a frequency cap: queued again for `until`, the attempt not counted. */
  | { status: "deferred"; until: number; reason: "quiet_hours" | "frequency_cap" | "send_rate"; why: string };

export function toClaimedDelivery(row: DeliveriesTable): ClaimedDelivery {
  return {
    businessId: row.business_id,
    id: row.id,
    deliveryKey: row.delivery_key,
    enrollmentId: row.enrollment_id,
    journeyId: row.journey_id,
    nodeId: row.node_id,
    customerId: row.customer_id,
    channel: row.channel as Channel,
    templateId: row.template_id,
    context: readJson(row.context),
    attempt: Number(row.attempts),
    leaseUntil: Number(row.lease_until),
  };
}
