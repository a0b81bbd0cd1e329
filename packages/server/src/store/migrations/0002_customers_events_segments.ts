import { type Kysely, sql } from "kysely";
import type { DialectName } from "../store";

/**
 * Customers, their events and segments.
 *
 * - `events` is append-only; `message_id` de-duplicates ingestion per business.
 * - `event_hits` holds one row per (customer, counter, event) for the event counters segment
 *   rules read (see core `eventConditionKey`); a counter is the short hash in `counters`.
 *   Counting hits since a time is one index range scan, exact to the millisecond.
 * - `membership_events` is the durable log of joined/left that journeys consume in `seq` order.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const json = dialect === "postgres" ? "jsonb" : "text";

  await db.schema
    .createTable("customers")
    .addColumn("business_id", "text", (c) => c.notNull().references("businesses.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("user_id", "text")
    .addColumn("email", "text")
    .addColumn("phone", "text")
    .addColumn("timezone", "text")
    .addColumn("locale", "text")
    .addColumn("attributes", json, (c) => c.notNull())
    .addColumn("subscriptions", json, (c) => c.notNull())
    .addColumn("addresses", json, (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("customers_pk", ["business_id", "id"])
    .execute();
  await sql`create unique index customers_user_id on customers (business_id, user_id) where user_id is not null`.execute(
    db,
  );
  await sql`create unique index customers_email on customers (business_id, email) where email is not null`.execute(
    db,
  );
  await db.schema.createIndex("customers_phone").on("customers").columns(["business_id", "phone"]).execute();

  await db.schema
    .createTable("customer_aliases")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("anonymous_id", "text", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("customer_aliases_pk", ["business_id", "anonymous_id"])
    .execute();
  await db.schema
    .createIndex("customer_aliases_customer")
    .on("customer_aliases")
    .columns(["business_id", "customer_id"])
    .execute();

  await db.schema
    .createTable("events")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("name", "text")
    .addColumn("properties", json, (c) => c.notNull())
    .addColumn("context", json)
    .addColumn("timestamp", "bigint", (c) => c.notNull())
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .addColumn("message_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("events_pk", ["business_id", "id"])
    .execute();
  await db.schema
    .createIndex("events_message_id")
    .unique()
    .on("events")
    .columns(["business_id", "message_id"])
    .execute();
  await db.schema
    .createIndex("events_customer")
    .on("events")
    .columns(["business_id", "customer_id", "timestamp"])
    .execute();
  await db.schema
    .createIndex("events_name")
    .on("events")
    .columns(["business_id", "name", "timestamp"])
    .execute();

  await db.schema
    .createTable("counters")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("counter", "text", (c) => c.notNull())
    .addColumn("selector", json, (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("counters_pk", ["business_id", "counter"])
    .execute();

  await db.schema
    .createTable("event_hits")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("counter", "text", (c) => c.notNull())
    .addColumn("timestamp", "bigint", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("event_hits_pk", [
      "business_id",
      "customer_id",
      "counter",
      "timestamp",
      "event_id",
    ])
    .execute();

  await db.schema
    .createTable("segments")
    .addColumn("business_id", "text", (c) => c.notNull().references("businesses.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("rule", json)
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("segments_pk", ["business_id", "id"])
    .execute();

  await db.schema
    .createTable("segment_members")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("segment_id", "text", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("since", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("segment_members_pk", ["business_id", "segment_id", "customer_id"])
    .execute();
  // Covering (segment_id included): otherwise SQLite prefers the covering primary key and
  // scans the whole business to find one customer's memberships.
  await db.schema
    .createIndex("segment_members_customer")
    .on("segment_members")
    .columns(["business_id", "customer_id", "segment_id"])
    .execute();

  if (dialect === "postgres") {
    await sql`create table membership_events (
      seq bigint generated always as identity,
      business_id text not null, segment_id text not null, customer_id text not null,
      change text not null, at bigint not null,
      primary key (business_id, seq))`.execute(db);
    await sql`create index membership_events_seq on membership_events (seq)`.execute(db);
  } else {
    await sql`create table membership_events (
      seq integer primary key autoincrement,
      business_id text not null, segment_id text not null, customer_id text not null,
      change text not null, at bigint not null)`.execute(db);
    await sql`create index membership_events_business on membership_events (business_id, seq)`.execute(db);
  }
  await db.schema
    .createIndex("membership_events_segment")
    .on("membership_events")
    .columns(["business_id", "segment_id", "seq"])
    .execute();

  await db.schema
    .createTable("segment_sizes")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("segment_id", "text", (c) => c.notNull())
    .addColumn("day", "bigint", (c) => c.notNull())
    .addColumn("size", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("segment_sizes_pk", ["business_id", "segment_id", "day"])
    .execute();

  await db.schema
    .createTable("suppressions")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("identity_hash", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("suppressions_pk", ["business_id", "identity_hash"])
    .execute();

  await db.schema
    .createTable("customer_imports")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("total_rows", "bigint", (c) => c.notNull())
    .addColumn("accepted", "bigint", (c) => c.notNull())
    .addColumn("rejected", "bigint", (c) => c.notNull())
    .addColumn("report", json, (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("finished_at", "bigint")
    .addPrimaryKeyConstraint("customer_imports_pk", ["business_id", "id"])
    .execute();

  // Bumped by every segment change, so processes that cache segment rules notice edits made elsewhere.
  await db.schema
    .alterTable("businesses")
    .addColumn("segments_version", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();
}
