import { type Kysely, sql } from "kysely";
import type { Database, DeliveriesTable, EngineWorkTable, EnrollmentsTable } from "../store/schema";

/**
 * The PostgreSQL hot path of `BatchWrites.flush`: each table's rows go in as one statement over
 * `unnest` of column arrays. The SQL text is the same whatever the batch size, so the server
 * parses and plans it once, where a multi-row VALUES list of 400 × 19 parameters is parsed anew
 * every time.
 */
export async function postgresFlush(
  db: Kysely<Database>,
  businessId: string,
  writes: {
    enrollments: EnrollmentsTable[];
    trail: { business_id: string; enrollment_id: string; seq: number; at: number; entry: string }[];
    deliveries: DeliveriesTable[];
    wakes: Omit<EngineWorkTable, "id">[];
  },
  done: readonly number[],
): Promise<DeliveriesTable[]> {
  const col = <T, K extends keyof T>(rows: T[], key: K) => rows.map((row) => row[key] as unknown);
  const e = writes.enrollments;
  if (e.length > 0) {
    await sql`insert into enrollments (business_id, id, journey_id, version, run, customer_id, state, node_id, wait_until, visited, exit_reason, trigger_event, entered_at, updated_at)
      select * from unnest(${col(e, "business_id")}::text[], ${col(e, "id")}::text[], ${col(e, "journey_id")}::text[], ${col(e, "version")}::bigint[],
        ${col(e, "run")}::bigint[], ${col(e, "customer_id")}::text[], ${col(e, "state")}::text[], ${col(e, "node_id")}::text[], ${col(e, "wait_until")}::bigint[],
        ${col(e, "visited").map(text)}::jsonb[], ${col(e, "exit_reason")}::text[], ${col(e, "trigger_event").map(text)}::jsonb[], ${col(e, "entered_at")}::bigint[], ${col(e, "updated_at")}::bigint[])
      on conflict (business_id, id) do update set state = excluded.state, node_id = excluded.node_id, wait_until = excluded.wait_until,
        visited = excluded.visited, exit_reason = excluded.exit_reason, updated_at = excluded.updated_at`.execute(
      db,
    );
  }
  const t = writes.trail;
  if (t.length > 0) {
    await sql`insert into enrollment_trail (business_id, enrollment_id, seq, at, entry)
      select * from unnest(${col(t, "business_id")}::text[], ${col(t, "enrollment_id")}::text[], ${col(t, "seq")}::integer[], ${col(t, "at")}::bigint[], ${col(t, "entry")}::jsonb[])`.execute(
      db,
    );
  }
  let queued: DeliveriesTable[] = [];
  const d = writes.deliveries;
  if (d.length > 0) {
    const result = await sql<{
      id: string;
    }>`insert into deliveries (business_id, id, delivery_key, enrollment_id, journey_id, node_id, customer_id, channel, template_id, context, status, attempts, next_attempt_at, lease_until, message_id, detail, created_at, updated_at, sent_at)
      select * from unnest(${col(d, "business_id")}::text[], ${col(d, "id")}::text[], ${col(d, "delivery_key")}::text[], ${col(d, "enrollment_id")}::text[],
        ${col(d, "journey_id")}::text[], ${col(d, "node_id")}::text[], ${col(d, "customer_id")}::text[], ${col(d, "channel")}::text[], ${col(d, "template_id")}::text[],
        ${col(d, "context").map(text)}::jsonb[], ${col(d, "status")}::text[], ${col(d, "attempts")}::integer[], ${col(d, "next_attempt_at")}::bigint[],
        ${col(d, "lease_until")}::bigint[], ${col(d, "message_id")}::text[], ${col(d, "detail").map(text)}::jsonb[], ${col(d, "created_at")}::bigint[],
        ${col(d, "updated_at")}::bigint[], ${col(d, "sent_at")}::bigint[])
      on conflict (business_id, delivery_key) do nothing
      returning id`.execute(db);
    const inserted = new Set(result.rows.map((row) => row.id));
    queued = d.filter((row) => inserted.has(row.id));
  }
  const w = writes.wakes;
  if (w.length > 0) {
    await sql`insert into engine_work (business_id, kind, journey_id, customer_id, enrollment_id, run_at, payload, created_at)
      select * from unnest(${col(w, "business_id")}::text[], ${col(w, "kind")}::text[], ${col(w, "journey_id")}::text[], ${col(w, "customer_id")}::text[],
        ${col(w, "enrollment_id")}::text[], ${col(w, "run_at")}::bigint[], ${col(w, "payload").map(text)}::jsonb[], ${col(w, "created_at")}::bigint[])`.execute(
      db,
    );
  }
  if (done.length > 0) {
    await sql`delete from engine_work where business_id = ${businessId} and id = any(${[...done]}::bigint[])`.execute(
      db,
    );
  }
  return queued;
}

/** JSON columns as text for the array (PostgreSQL casts each element to jsonb). */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}
