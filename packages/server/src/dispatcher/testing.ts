/**
 * Helpers for this folder's tests: put a delivery in the outbox exactly as the engine does,
 * and read a delivery and an enrollment's trail back.
 *
 * @example
 *   const id = await queueDelivery(r, { businessId, customerId, templateId });
 *   await dispatchDue(r, options);
 *   (await deliveryRow(r, businessId, id)).status // "sent"
 */
import type { Channel } from "@journeys/core";
import type { Resources } from "../resources";
import { readJson, writeJson } from "../store/json";
import type { DeliveriesTable } from "../store/schema";

let n = 0;

export async function queueDelivery(
  r: Resources,
  d: {
    businessId: string;
    customerId: string;
    templateId: string;
    channel?: Channel;
    enrollmentId?: string;
    nodeId?: string;
    event?: Record<string, unknown> | null;
    fallback?: Array<{ channel: Channel; templateId: string }>;
  },
): Promise<{ id: string; enrollmentId: string }> {
  const id = r.newId("dlv");
  const enrollmentId = d.enrollmentId ?? `enr_test_${++n}`;
  const nodeId = d.nodeId ?? "welcome";
  const now = r.clock.now();
  await r.store.db
    .insertInto("deliveries")
    .values({
      business_id: d.businessId,
      id,
      delivery_key: `${enrollmentId}:${nodeId}`,
      enrollment_id: enrollmentId,
      journey_id: "jrn_test",
      node_id: nodeId,
      customer_id: d.customerId,
      channel: d.channel ?? "email",
      template_id: d.templateId,
      context: writeJson({ event: d.event ?? null, ...(d.fallback ? { fallback: d.fallback } : {}) }),
      status: "queued",
      attempts: 0,
      next_attempt_at: now,
      lease_until: null,
      message_id: null,
      detail: null,
      created_at: now,
      updated_at: now,
      sent_at: null,
    })
    .execute();
  return { id, enrollmentId };
}

/**
 * A delivery row as the engine writes one it hands over (`engine/hand-off.ts`): claimed —
 * `sending`, attempt 1 — and leased until `leaseUntil`. Not inserted.
 */
export function claimedDeliveryRow(d: {
  businessId: string;
  id: string;
  deliveryKey: string;
  customerId: string;
  templateId: string;
  journeyId?: string | null;
  enrollmentId?: string | null;
  at: number;
  leaseUntil: number;
  event?: Record<string, unknown> | null;
}): DeliveriesTable {
  return {
    business_id: d.businessId,
    id: d.id,
    delivery_key: d.deliveryKey,
    enrollment_id: d.enrollmentId ?? null,
    journey_id: d.journeyId ?? null,
    node_id: "hi",
    customer_id: d.customerId,
    channel: "email",
    template_id: d.templateId,
    context: writeJson({ event: d.event ?? null }),
    status: "sending",
    attempts: 1,
    next_attempt_at: d.leaseUntil,
    lease_until: d.leaseUntil,
    message_id: null,
    detail: null,
    created_at: d.at,
    updated_at: d.at,
    sent_at: null,
  };
}

export async function deliveryRow(r: Resources, businessId: string, id: string) {
  const row = await r.store.db
    .selectFrom("deliveries")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return { ...row, detail: readJson<Record<string, unknown> | null>(row.detail) };
}

// biome-ignore lint/suspicious/noExplicitAny: trail entries are read loosely in tests
export async function trailOf(r: Resources, businessId: string, enrollmentId: string): Promise<any[]> {
  const rows = await r.store.db
    .selectFrom("enrollment_trail")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("enrollment_id", "=", enrollmentId)
    .orderBy("seq")
    .execute();
  return rows.map((row) => ({ seq: Number(row.seq), ...readJson<object>(row.entry) }));
}
