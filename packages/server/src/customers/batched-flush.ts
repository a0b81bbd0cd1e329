import { type Kysely, sql } from "kysely";
import { writeJson } from "../store/json";
import type { Database } from "../store/schema";
import type { Customer } from "./customer";
import { customerRow } from "./kysely-writer";
import type { CustomerWriter, StoredEvent } from "./writer";

/** A group's message ids collided with another transaction's: rerun the group (it will see them). */
export class MessageIdRace extends Error {
  constructor(lost: number) {
    super(`${lost} message id(s) were stored by another transaction meanwhile; retry the group`);
  }
}

/** What the batched writer holds until the commit (see batched-writer.ts). */
export interface PendingWrites {
  /** New customers (`insert`), and changes that keep the stored userId and email. */
  customers: { customer: Customer; insert: boolean }[];
  events: StoredEvent[];
  hits: { customerId: string; counter: string; timestamp: number; eventId: string }[];
  /** Net member changes: rows to delete, rows to write (a rejoin moves `since`). */
  removedMembers: { segment: string; customer: string }[];
  addedMembers: { segment: string; customer: string; since: number }[];
  /** Every joined / left, in the order it happened. */
  membershipLog: { segmentId: string; customerId: string; change: "joined" | "left"; at: number }[];
  work: Parameters<CustomerWriter["enqueueWork"]>[0][];
}

/**
 * Writes a group's pending rows on PostgreSQL, each table with one statement over `unnest` of
 * column arrays (the SQL text is the same whatever the group's size). Throws MessageIdRace when
 * another transaction stored one of the events' message ids since they were looked up.
 */
export async function writePending(
  db: Kysely<Database>,
  businessId: string,
  p: PendingWrites,
): Promise<void> {
  const col = <T, K extends keyof T>(rows: T[], key: K) => rows.map((row) => row[key] as unknown);
  const rowsOf = (insert: boolean) =>
    p.customers.filter((c) => c.insert === insert).map((c) => customerRow(businessId, c.customer));
  const inserts = rowsOf(true);
  if (inserts.length > 0) {
    const c = inserts;
    await sql`insert into customers (business_id, id, user_id, email, phone, timezone, locale, attributes, subscriptions, addresses, created_at, updated_at)
      select ${businessId}, * from unnest(${col(c, "id")}::text[], ${col(c, "user_id")}::text[], ${col(c, "email")}::text[], ${col(c, "phone")}::text[],
        ${col(c, "timezone")}::text[], ${col(c, "locale")}::text[], ${col(c, "attributes")}::jsonb[], ${col(c, "subscriptions")}::jsonb[],
        ${col(c, "addresses")}::jsonb[], ${col(c, "created_at")}::bigint[], ${col(c, "updated_at")}::bigint[])`.execute(
      db,
    );
  }
  const updates = rowsOf(false);
  if (updates.length > 0) {
    const c = updates;
    await sql`update customers as c set phone = u.phone, timezone = u.timezone, locale = u.locale, attributes = u.attributes,
        subscriptions = u.subscriptions, addresses = u.addresses, updated_at = u.updated_at
      from unnest(${col(c, "id")}::text[], ${col(c, "phone")}::text[], ${col(c, "timezone")}::text[], ${col(c, "locale")}::text[],
        ${col(c, "attributes")}::jsonb[], ${col(c, "subscriptions")}::jsonb[], ${col(c, "addresses")}::jsonb[], ${col(c, "updated_at")}::bigint[])
        as u(id, phone, timezone, locale, attributes, subscriptions, addresses, updated_at)
      where c.business_id = ${businessId} and c.id = u.id`.execute(db);
  }
  const e = p.events;
  if (e.length > 0) {
    const inserted = await sql<{ message_id: string }>`
      insert into events (business_id, id, customer_id, type, name, properties, context, timestamp, received_at, message_id)
      select ${businessId}, * from unnest(${col(e, "id")}::text[], ${col(e, "customerId")}::text[], ${col(e, "type")}::text[], ${col(e, "name")}::text[],
        ${e.map((x) => writeJson(x.properties))}::jsonb[], ${e.map((x) => (x.context === null ? null : writeJson(x.context)))}::jsonb[],
        ${col(e, "timestamp")}::bigint[], ${col(e, "receivedAt")}::bigint[], ${col(e, "messageId")}::text[])
      on conflict (business_id, message_id) do nothing returning message_id`.execute(db);
    if (inserted.rows.length < e.length) throw new MessageIdRace(e.length - inserted.rows.length);
  }
  const h = p.hits;
  if (h.length > 0) {
    await sql`insert into event_hits (business_id, customer_id, counter, timestamp, event_id)
      select ${businessId}, * from unnest(${col(h, "customerId")}::text[], ${col(h, "counter")}::text[], ${col(h, "timestamp")}::bigint[], ${col(h, "eventId")}::text[])
      on conflict do nothing`.execute(db);
  }
  const removed = p.removedMembers;
  if (removed.length > 0) {
    await sql`delete from segment_members where business_id = ${businessId}
      and (segment_id, customer_id) in (select * from unnest(${col(removed, "segment")}::text[], ${col(removed, "customer")}::text[]))`.execute(
      db,
    );
  }
  const added = p.addedMembers;
  if (added.length > 0) {
    await sql`insert into segment_members (business_id, segment_id, customer_id, since)
      select ${businessId}, * from unnest(${col(added, "segment")}::text[], ${col(added, "customer")}::text[], ${col(added, "since")}::bigint[])
      on conflict (business_id, segment_id, customer_id) do update set since = excluded.since`.execute(db);
  }
  const m = p.membershipLog;
  if (m.length > 0) {
    // In the order they happened: each row's seq is taken as the rows are inserted.
    await sql`insert into membership_events (business_id, segment_id, customer_id, change, at)
      select ${businessId}, segment_id, customer_id, change, at
      from unnest(${col(m, "segmentId")}::text[], ${col(m, "customerId")}::text[], ${col(m, "change")}::text[], ${col(m, "at")}::bigint[])
        with ordinality as t(segment_id, customer_id, change, at, n)
      order by n`.execute(db);
  }
  const w = p.work;
  if (w.length > 0) {
    await sql`insert into engine_work (business_id, kind, journey_id, customer_id, enrollment_id, run_at, payload, created_at)
      select ${businessId}, kind, journey_id, customer_id, null, run_at, payload, run_at
      from unnest(${col(w, "kind")}::text[], ${col(w, "journeyId")}::text[], ${col(w, "customerId")}::text[],
        ${col(w, "runAt")}::bigint[], ${w.map((x) => writeJson(x.payload))}::jsonb[]) as t(kind, journey_id, customer_id, run_at, payload)`.execute(
      db,
    );
  }
}
