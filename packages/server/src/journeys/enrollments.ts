import { deliveryKey } from "@journeys/core";
import { fromRow } from "../engine/run-due";
import { JourneysError, notFound } from "../errors";
import type { Resources } from "../resources";
import { readJson } from "../store/json";

/** Enrollments of a journey, newest first by id, with a cursor. */
export async function listEnrollments(
  r: Resources,
  businessId: string,
  journeyId: string,
  query: { customerId?: string; state?: string; limit?: number; cursor?: string },
) {
  const limit = query.limit ?? 50;
  const journey = await r.store.db
    .selectFrom("journeys")
    .select("id")
    .where("business_id", "=", businessId)
    .where("id", "=", journeyId)
    .executeTakeFirst();
  if (!journey) throw notFound("journey");
  // The cursor is the last id of the previous page: anything else would silently filter.
  if (query.cursor !== undefined && !/^enr_[0-9a-z]{1,64}$/.test(query.cursor)) {
    throw new JourneysError("bad_request", "invalid_cursor", "cursor is not one this API returned");
  }
  let q = r.store.db
    .selectFrom("enrollments")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("journey_id", "=", journeyId);
  if (query.customerId) q = q.where("customer_id", "=", query.customerId);
  if (query.state) q = q.where("state", "=", query.state);
  if (query.cursor) q = q.where("id", "<", query.cursor);
  const rows = await q
    .orderBy("id", "desc")
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit).map((row) => ({
    ...fromRow(row),
    enteredAt: Number(row.entered_at),
    updatedAt: Number(row.updated_at),
  }));
  return { data: page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}

/**
 * One enrollment with its trail: every decision in order (entered, waited, branched and why,
 * sent / skipped and why, exited and why) — the answer to "why did (not) this customer get
 * that message?".
 */
export async function enrollmentWithTrail(
  r: Resources,
  businessId: string,
  journeyId: string,
  enrollmentId: string,
) {
  const row = await r.store.db
    .selectFrom("enrollments")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("journey_id", "=", journeyId)
    .where("id", "=", enrollmentId)
    .executeTakeFirst();
  if (!row) throw notFound("enrollment");
  const trail = await r.store.db
    .selectFrom("enrollment_trail")
    .select(["seq", "at", "entry"])
    .where("business_id", "=", businessId)
    .where("enrollment_id", "=", enrollmentId)
    .orderBy("seq")
    .execute();
  const deliveries = await r.store.db
    .selectFrom("deliveries")
    .select([
      "id",
      "node_id",
      "channel",
      "template_id",
      "status",
      "attempts",
      "message_id",
      "detail",
      "sent_at",
    ])
    .where("business_id", "=", businessId)
    .where("enrollment_id", "=", enrollmentId)
    // No index leads with enrollment_id (every index costs each step a write): name the rows by
    // their unique delivery keys instead — one per message node the enrollment visited.
    .where("delivery_key", "in", keysOf(fromRow(row).visited, enrollmentId))
    .orderBy("id")
    .execute();
  return {
    ...fromRow(row),
    enteredAt: Number(row.entered_at),
    updatedAt: Number(row.updated_at),
    trail: trail.flatMap(trailEntries),
    deliveries: deliveries.map((d) => ({
      id: d.id,
      nodeId: d.node_id,
      channel: d.channel,
      templateId: d.template_id,
      status: d.status,
      attempts: Number(d.attempts),
      messageId: d.message_id,
      detail: readJson(d.detail),
      sentAt: d.sent_at === null ? null : Number(d.sent_at),
    })),
  };
}

/** The delivery keys an enrollment's visited nodes may have queued (never an empty list). */
function keysOf(visited: readonly string[], enrollmentId: string): string[] {
  return visited.length > 0 ? visited.map((nodeId) => deliveryKey(enrollmentId, nodeId)) : [""];
}

/**
 * The entries of one stored trail row, each with its row's seq and time. The engine stores one
 * row per step (an array of that step's entries); the dispatcher one per outcome.
 */
export function trailEntries(row: { seq: unknown; at: unknown; entry: unknown }): Record<string, unknown>[] {
  const entry = readJson<unknown>(row.entry);
  return (Array.isArray(entry) ? entry : [entry]).map((e) => ({
    seq: Number(row.seq),
    at: Number(row.at),
    ...(e as Record<string, unknown>),
  }));
}
