import type SQLite from "better-sqlite3";
import type { DeliveriesTable, EngineWorkTable, EnrollmentsTable } from "../store/schema";

/**
 * The embedded hot path of `BatchWrites.flush`: the same writes through statements prepared
 * once per connection. It runs inside the batch's transaction (SQLite has one connection, so
 * these statements share Kysely's open transaction).
 */
function prepare(db: SQLite.Database) {
  return {
    enrollment: db.prepare(
      "insert into enrollments (business_id, id, journey_id, version, run, customer_id, state, node_id, wait_until, visited, exit_reason, trigger_event, entered_at, updated_at) values (@business_id, @id, @journey_id, @version, @run, @customer_id, @state, @node_id, @wait_until, @visited, @exit_reason, @trigger_event, @entered_at, @updated_at) on conflict (business_id, id) do update set state = excluded.state, node_id = excluded.node_id, wait_until = excluded.wait_until, visited = excluded.visited, exit_reason = excluded.exit_reason, updated_at = excluded.updated_at",
    ),
    trail: db.prepare(
      "insert into enrollment_trail (business_id, enrollment_id, seq, at, entry) values (@business_id, @enrollment_id, @seq, @at, @entry)",
    ),
    delivery: db.prepare(
      "insert into deliveries (business_id, id, delivery_key, enrollment_id, journey_id, node_id, customer_id, channel, template_id, context, status, attempts, next_attempt_at, lease_until, message_id, detail, created_at, updated_at, sent_at) values (@business_id, @id, @delivery_key, @enrollment_id, @journey_id, @node_id, @customer_id, @channel, @template_id, @context, @status, @attempts, @next_attempt_at, @lease_until, @message_id, @detail, @created_at, @updated_at, @sent_at) on conflict (business_id, delivery_key) do nothing",
    ),
    wake: db.prepare(
      "insert into engine_work (business_id, kind, journey_id, customer_id, enrollment_id, run_at, payload, created_at) values (@business_id, @kind, @journey_id, @customer_id, @enrollment_id, @run_at, @payload, @created_at)",
    ),
    done: db.prepare("delete from engine_work where id = ?"),
  };
}

const prepared = new WeakMap<SQLite.Database, ReturnType<typeof prepare>>();

export function sqliteFlush(
  db: SQLite.Database,
  writes: {
    enrollments: Iterable<EnrollmentsTable>;
    trail: Iterable<object>;
    deliveries: Iterable<DeliveriesTable>;
    wakes: Iterable<Omit<EngineWorkTable, "id">>;
  },
  done: readonly number[],
): number {
  let st = prepared.get(db);
  if (!st) {
    st = prepare(db);
    prepared.set(db, st);
  }
  for (const row of writes.enrollments) st.enrollment.run(row);
  for (const row of writes.trail) st.trail.run(row);
  let queued = 0;
  for (const row of writes.deliveries) queued += st.delivery.run(row).changes;
  for (const row of writes.wakes) st.wake.run(row);
  for (const id of done) st.done.run(id);
  return queued;
}
