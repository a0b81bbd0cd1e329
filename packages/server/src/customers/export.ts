import type { Kysely } from "kysely";
import { notFound } from "../errors";
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
 * The customer's profile, aliases, every event and their segment memberships (current and
 * the joined/left log), oldest first.
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
  const [aliases, events, current, history] = await Promise.all([
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
  };
}
