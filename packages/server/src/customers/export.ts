import type { Kysely } from "kysely";
import { notFound } from "../errors";
import { trailEntries } from "../journeys/enrollments";
import type { Resources } from "../resources";
import { readJson } from "../store/json";
import type { Database } from "../store/schema";
import { type Customer, toCustomer } from "./customer";

/** Everything stored about one customer, for a GDPR access request (Art. 15 / 20). */
export interface CustomerExport {
  exportedAt: number;
  profile: Customer;
  aliases: { anonymousId: string; createdAt: number }[];
  events: {
    id: string;
    type: string;
    name: string | null;
    properties: unknown;
    context: unknown;
    timestamp: number;
    receivedAt: number;
    messageId: string;
  }[];
  memberships: {
    current: Membership[];
    history: { segmentId: string; change: string; at: number }[];
  };
  /** Every message queued for the customer (journey sends), oldest first. */
  deliveries: ExportedDelivery[];
  /** Every pass through a journey, oldest first, each with its trail of decisions. */
  enrollments: ExportedEnrollment[];
}

/**
 * A message as the customer's timeline shows it, with its outcome. Leaves out what only the
 * dispatcher needs (leases, retry schedule, the delivery key) and the template context, which
 * repeats the enrollment's `triggerEvent`.
 */
export interface ExportedDelivery {
  id: string;
  journeyId: string | null;
  enrollmentId: string | null;
  nodeId: string | null;
  channel: string;
  templateId: string;
  /** queued | sending | sent | skipped | failed */
  status: string;
  attempts: number;
  /** The provider's id for the message (the email Message-ID), once sent. */
  messageId: string | null;
  /** Why it was skipped or failed, or the last error while retrying; null once sent. */
  detail: unknown;
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
}

export interface ExportedEnrollment {
  id: string;
  journeyId: string;
  version: number;
  run: number;
  /** active | waiting | exited */
  state: string;
  /** The step the customer is at, or the last one they were at once exited. */
  nodeId: string | null;
  waitUntil: number | null;
  exitReason: string | null;
  /** The properties of the event that enrolled them (event triggers), else null. */
  triggerEvent: unknown;
  enteredAt: number;
  updatedAt: number;
  /**
   * Every decision in order, as `GET …/journeys/{id}/enrollments/{enrollmentId}` shows it: the
   * row's `seq` and `at`, then the entry (`type`, `message` and the fields of its type).
   */
  trail: Record<string, unknown>[];
}

export interface Membership {
  segmentId: string;
  segmentName: string | null;
  since: number;
}

/** One customer of the business; 404 when there is none with that id. */
export async function findCustomer(
  db: Kysely<Database>,
  businessId: string,
  customerId: string,
): Promise<Customer> {
  const row = await db
    .selectFrom("customers")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("id", "=", customerId)
    .executeTakeFirst();
  if (!row) throw notFound("customer");
  return toCustomer(row);
}

/** The segments the customer is in now, and since when. */
export async function currentMemberships(
  db: Kysely<Database>,
  businessId: string,
  customerId: string,
): Promise<Membership[]> {
  const rows = await db
    .selectFrom("segment_members as m")
    .leftJoin("segments as s", (join) =>
      join.onRef("s.business_id", "=", "m.business_id").onRef("s.id", "=", "m.segment_id"),
    )
    .select(["m.segment_id", "m.since", "s.name"])
    .where("m.business_id", "=", businessId)
    .where("m.customer_id", "=", customerId)
    .orderBy("m.segment_id")
    .execute();
  return rows.map((m) => ({ segmentId: m.segment_id, segmentName: m.name ?? null, since: Number(m.since) }));
}

/**
 * The customer's profile, aliases, every event, their segment memberships (current and the
 * joined/left log), their messages and their journey enrollments with trails, oldest first:
 * everything an erase deletes as theirs.
 *
 * @example
 *   const data = await exportCustomer(r, "bus_…", "cus_…");
 */
export async function exportCustomer(
  r: Resources,
  businessId: string,
  customerId: string,
): Promise<CustomerExport> {
  const db = r.store.db;
  const profile = await findCustomer(db, businessId, customerId);
  const [aliases, events, current, history, deliveries, enrollments] = await Promise.all([
    db
      .selectFrom("customer_aliases")
      .select(["anonymous_id", "created_at"])
      .where("business_id", "=", businessId)
      .where("customer_id", "=", customerId)
      .orderBy("created_at")
      .execute(),
    db
      .selectFrom("events")
      .selectAll()
      .where("business_id", "=", businessId)
      .where("customer_id", "=", customerId)
      .orderBy("timestamp")
      .orderBy("id")
      .execute(),
    currentMemberships(db, businessId, customerId),
    db
      .selectFrom("membership_events")
      .select(["segment_id", "change", "at"])
      .where("business_id", "=", businessId)
      .where("customer_id", "=", customerId)
      .orderBy("seq")
      .execute(),
    customerDeliveries(db, businessId, customerId),
    customerEnrollments(db, businessId, customerId),
  ]);
  return {
    exportedAt: r.clock.now(),
    profile,
    aliases: aliases.map((a) => ({ anonymousId: a.anonymous_id, createdAt: Number(a.created_at) })),
    events: events.map((e) => ({
      id: e.id,
      type: e.type,
      name: e.name,
      properties: readJson(e.properties),
      context: readJson(e.context),
      timestamp: Number(e.timestamp),
      receivedAt: Number(e.received_at),
      messageId: e.message_id,
    })),
    memberships: {
      current,
      history: history.map((h) => ({ segmentId: h.segment_id, change: h.change, at: Number(h.at) })),
    },
    deliveries,
    enrollments,
  };
}

/** The customer's deliveries, read through `deliveries_customer` (business_id, customer_id). */
async function customerDeliveries(
  db: Kysely<Database>,
  businessId: string,
  customerId: string,
): Promise<ExportedDelivery[]> {
  const rows = await db
    .selectFrom("deliveries")
    .select([
      "id",
      "journey_id",
      "enrollment_id",
      "node_id",
      "channel",
      "template_id",
      "status",
      "attempts",
      "message_id",
      "detail",
      "created_at",
      "updated_at",
      "sent_at",
    ])
    .where("business_id", "=", businessId)
    .where("customer_id", "=", customerId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map((d) => ({
    id: d.id,
    journeyId: d.journey_id,
    enrollmentId: d.enrollment_id,
    nodeId: d.node_id,
    channel: d.channel,
    templateId: d.template_id,
    status: d.status,
    attempts: Number(d.attempts),
    messageId: d.message_id,
    detail: readJson(d.detail) ?? null,
    createdAt: Number(d.created_at),
    updatedAt: Number(d.updated_at),
    sentAt: d.sent_at === null ? null : Number(d.sent_at),
  }));
}

/**
 * The customer's enrollments through `enrollments_customer` (business_id, customer_id), and
 * their trails joined on the trail's primary key (business_id, enrollment_id, seq) — one
 * query each however many journeys the customer went through.
 */
async function customerEnrollments(
  db: Kysely<Database>,
  businessId: string,
  customerId: string,
): Promise<ExportedEnrollment[]> {
  const [rows, trailRows] = await Promise.all([
    db
      .selectFrom("enrollments")
      .select([
        "id",
        "journey_id",
        "version",
        "run",
        "state",
        "node_id",
        "wait_until",
        "exit_reason",
        "trigger_event",
        "entered_at",
        "updated_at",
      ])
      .where("business_id", "=", businessId)
      .where("customer_id", "=", customerId)
      .orderBy("entered_at")
      .orderBy("id")
      .execute(),
    db
      .selectFrom("enrollments as e")
      .innerJoin("enrollment_trail as t", (join) =>
        join.onRef("t.business_id", "=", "e.business_id").onRef("t.enrollment_id", "=", "e.id"),
      )
      .select(["t.enrollment_id", "t.seq", "t.at", "t.entry"])
      .where("e.business_id", "=", businessId)
      .where("e.customer_id", "=", customerId)
      .orderBy("t.enrollment_id")
      .orderBy("t.seq")
      .execute(),
  ]);
  const trails = new Map<string, Record<string, unknown>[]>();
  for (const t of trailRows) {
    const entries = trailEntries(t);
    const trail = trails.get(t.enrollment_id);
    if (trail) trail.push(...entries);
    else trails.set(t.enrollment_id, entries);
  }
  return rows.map((e) => ({
    id: e.id,
    journeyId: e.journey_id,
    version: Number(e.version),
    run: Number(e.run),
    state: e.state,
    nodeId: e.node_id,
    waitUntil: e.wait_until === null ? null : Number(e.wait_until),
    exitReason: e.exit_reason,
    triggerEvent: readJson(e.trigger_event) ?? null,
    enteredAt: Number(e.entered_at),
    updatedAt: Number(e.updated_at),
    trail: trails.get(e.id) ?? [],
  }));
}
