import type SQLite from "better-sqlite3";
import type { DeliveriesTable, EngineWorkTable, EnrollmentsTable } from "../store/schema";
import { preparedOnce } from "../store/sqlite/prepared";

/**
 * The embedded hot path of `BatchWrites.flush`: the same writes through statements prepared
 * once per connection, with positional parameters (binding by name looks up every column of
 * every row). It runs inside the batch's transaction (SQLite has one connection, so these
 * statements share Kysely's open transaction).
 */
function prepare(db: SQLite.Database) {
  return {
    enrollment: db.prepare(
      "insert into enrollments (business_id, id, journey_id, version, run, customer_id, state, node_id, wait_until, visited, exit_reason, trigger_event, entered_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (business_id, id) do update set state = excluded.state, node_id = excluded.node_id, wait_until = excluded.wait_until, visited = excluded.visited, exit_reason = excluded.exit_reason, updated_at = excluded.updated_at",
    ),
    trail: db.prepare(
      "insert into enrollment_trail (business_id, enrollment_id, seq, at, entry) values (?, ?, ?, ?, ?)",
    ),
    delivery: db.prepare(
      "insert into deliveries (business_id, id, delivery_key, enrollment_id, journey_id, node_id, customer_id, channel, template_id, context, status, attempts, next_attempt_at, lease_until, message_id, detail, created_at, updated_at, sent_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (business_id, delivery_key) do nothing",
    ),
    wake: db.prepare(
      "insert into engine_work (business_id, kind, journey_id, customer_id, enrollment_id, run_at, payload, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    done: db.prepare("delete from engine_work where id = ?"),
  };
}

interface TrailRow {
  business_id: string;
  enrollment_id: string;
  seq: number;
  at: number;
  entry: string;
}

const prepared = preparedOnce(prepare);

export function sqliteFlush(
  db: SQLite.Database,
  writes: {
    enrollments: Iterable<EnrollmentsTable>;
    trail: Iterable<TrailRow>;
    deliveries: Iterable<DeliveriesTable>;
    wakes: Iterable<Omit<EngineWorkTable, "id">>;
  },
  done: readonly number[],
): DeliveriesTable[] {
  const st = prepared(db);
  for (const e of writes.enrollments) {
    st.enrollment.run(
      e.business_id,
      e.id,
      e.journey_id,
      e.version,
      e.run,
      e.customer_id,
      e.state,
      e.node_id,
      e.wait_until,
      e.visited,
      e.exit_reason,
      e.trigger_event,
      e.entered_at,
      e.updated_at,
    );
  }
  for (const t of writes.trail) st.trail.run(t.business_id, t.enrollment_id, t.seq, t.at, t.entry);
  const queued: DeliveriesTable[] = [];
  for (const d of writes.deliveries) {
    const { changes } = st.delivery.run(
      d.business_id,
      d.id,
      d.delivery_key,
      d.enrollment_id,
      d.journey_id,
      d.node_id,
      d.customer_id,
      d.channel,
      d.template_id,
      d.context,
      d.status,
      d.attempts,
      d.next_attempt_at,
      d.lease_until,
      d.message_id,
      d.detail,
      d.created_at,
      d.updated_at,
      d.sent_at,
    );
    if (changes === 1) queued.push(d);
  }
  for (const w of writes.wakes) {
    st.wake.run(
      w.business_id,
      w.kind,
      w.journey_id,
      w.customer_id,
      w.enrollment_id,
      w.run_at,
      w.payload,
      w.created_at,
    );
  }
  for (const id of done) st.done.run(id);
  return queued;
}
