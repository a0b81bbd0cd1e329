import { type Kysely, sql } from "kysely";
import type { DialectName } from "../store";

/**
 * Journeys and their execution.
 *
 * - `journeys` holds the editable definition and the lifecycle (status, run, version);
 *   `journey_versions` keeps every published definition, which in-flight enrollments stay on.
 * - `enrollments`: one customer's pass through one journey in one run; unique per
 *   (journey, customer, run), which is what forbids re-entry within a run.
 * - `engine_work` is the engine's queue of due inputs (enter, wake, left_segment, archive),
 *   claimed in batches by `run_at`; `engine_cursors` remembers how far the engine has read
 *   the membership log.
 * - `deliveries` is the outbox: written in the same transaction as the step that decided the
 *   send, unique per delivery key, sent by the dispatcher with a lease and an attempt fence.
 * - `templates` and `channels` hold message content and per-business channel set-up.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const json = dialect === "postgres" ? "jsonb" : "text";

  await db.schema
    .createTable("templates")
    .addColumn("business_id", "text", (c) => c.notNull().references("businesses.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("channel", "text", (c) => c.notNull())
    .addColumn("content", json, (c) => c.notNull())
    .addColumn("transactional", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("templates_pk", ["business_id", "id"])
    .execute();

  await db.schema
    .createTable("channels")
    .addColumn("business_id", "text", (c) => c.notNull().references("businesses.id"))
    .addColumn("channel", "text", (c) => c.notNull())
    .addColumn("provider", "text", (c) => c.notNull())
    .addColumn("config", json, (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("channels_pk", ["business_id", "channel"])
    .execute();

  await db.schema
    .createTable("journeys")
    .addColumn("business_id", "text", (c) => c.notNull().references("businesses.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addColumn("run", "bigint", (c) => c.notNull())
    .addColumn("definition", json, (c) => c.notNull())
    .addColumn("published_version", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("activated_at", "bigint")
    .addColumn("archived_at", "bigint")
    .addPrimaryKeyConstraint("journeys_pk", ["business_id", "id"])
    .execute();

  await db.schema
    .createTable("journey_versions")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("journey_id", "text", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addColumn("definition", json, (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("journey_versions_pk", ["business_id", "journey_id", "version"])
    .execute();

  await db.schema
    .createTable("enrollments")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("journey_id", "text", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addColumn("run", "bigint", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("node_id", "text")
    .addColumn("wait_until", "bigint")
    .addColumn("visited", json, (c) => c.notNull())
    .addColumn("exit_reason", "text")
    .addColumn("trigger_event", json)
    .addColumn("entered_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("enrollments_pk", ["business_id", "id"])
    .execute();
  await db.schema
    .createIndex("enrollments_once_per_run")
    .unique()
    .on("enrollments")
    .columns(["business_id", "journey_id", "customer_id", "run"])
    .execute();
  await db.schema
    .createIndex("enrollments_customer")
    .on("enrollments")
    .columns(["business_id", "customer_id"])
    .execute();
  await db.schema
    .createIndex("enrollments_state")
    .on("enrollments")
    .columns(["business_id", "journey_id", "state"])
    .execute();

  await db.schema
    .createTable("enrollment_trail")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("enrollment_id", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("entry", json, (c) => c.notNull())
    .addPrimaryKeyConstraint("enrollment_trail_pk", ["business_id", "enrollment_id", "seq"])
    .execute();

  if (dialect === "postgres") {
    await sql`create table engine_work (
      id bigint generated always as identity,
      business_id text not null, kind text not null, journey_id text not null,
      customer_id text not null, enrollment_id text, run_at bigint not null,
      payload jsonb, created_at bigint not null,
      primary key (business_id, id))`.execute(db);
  } else {
    await sql`create table engine_work (
      id integer primary key autoincrement,
      business_id text not null, kind text not null, journey_id text not null,
      customer_id text not null, enrollment_id text, run_at bigint not null,
      payload text, created_at bigint not null)`.execute(db);
  }
  await db.schema.createIndex("engine_work_due").on("engine_work").columns(["run_at", "id"]).execute();

  await db.schema
    .createTable("engine_cursors")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("position", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("deliveries")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("delivery_key", "text", (c) => c.notNull())
    .addColumn("enrollment_id", "text")
    .addColumn("journey_id", "text")
    .addColumn("node_id", "text")
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("channel", "text", (c) => c.notNull())
    .addColumn("template_id", "text", (c) => c.notNull())
    .addColumn("context", json)
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("lease_until", "bigint")
    .addColumn("message_id", "text")
    .addColumn("detail", json)
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("sent_at", "bigint")
    .addPrimaryKeyConstraint("deliveries_pk", ["business_id", "id"])
    .execute();
  await db.schema
    .createIndex("deliveries_key")
    .unique()
    .on("deliveries")
    .columns(["business_id", "delivery_key"])
    .execute();
  await db.schema
    .createIndex("deliveries_due")
    .on("deliveries")
    .columns(["status", "next_attempt_at"])
    .execute();
  await db.schema
    .createIndex("deliveries_customer")
    .on("deliveries")
    .columns(["business_id", "customer_id"])
    .execute();
  await db.schema
    .createIndex("deliveries_journey")
    .on("deliveries")
    .columns(["business_id", "journey_id", "node_id"])
    .execute();

  // Bumped by every journey status or trigger change, so processes that cache the event
  // triggers of active journeys (the ingestion write path) notice.
  await db.schema
    .alterTable("businesses")
    .addColumn("journeys_version", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();
}
