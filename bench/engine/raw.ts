import type { SqliteStore } from "../../packages/server/src/store/store";
import { T0 } from "./setup";

/**
 * The raw ceiling on SQLite: the same rows the engine writes for the workload (per customer:
 * an enrollment inserted then updated twice, three trail rows, three deliveries, one wake
 * inserted and deleted, two work rows deleted) with prepared statements in batches, and no
 * engine logic, committed unflushed as the engine's batches are. Returns the seconds it took.
 */
export function rawCeiling(
  store: SqliteStore,
  businessId: string,
  journeyId: string,
  customerIds: string[],
  batch: number,
): number {
  const db = store.raw;
  db.exec(
    "create table raw_enrollments as select * from enrollments where 0; create unique index raw_e on raw_enrollments (business_id, id); create unique index raw_e2 on raw_enrollments (business_id, journey_id, customer_id, run); create index raw_e3 on raw_enrollments (business_id, customer_id); create index raw_e4 on raw_enrollments (business_id, journey_id, state);",
  );
  db.exec(
    "create table raw_trail as select * from enrollment_trail where 0; create unique index raw_t on raw_trail (business_id, enrollment_id, seq);",
  );
  db.exec(
    "create table raw_deliveries as select * from deliveries where 0; create unique index raw_d on raw_deliveries (business_id, id); create unique index raw_d2 on raw_deliveries (business_id, delivery_key); create index raw_d3 on raw_deliveries (status, next_attempt_at); create index raw_d4 on raw_deliveries (business_id, customer_id); create index raw_d5 on raw_deliveries (business_id, journey_id, node_id);",
  );
  db.exec(
    "create table raw_work (id integer primary key autoincrement, business_id text, kind text, journey_id text, customer_id text, enrollment_id text, run_at bigint, payload text, created_at bigint); create index raw_w on raw_work (run_at, id);",
  );
  const upsert = db.prepare(
    "insert into raw_enrollments (business_id, id, journey_id, version, run, customer_id, state, node_id, wait_until, visited, exit_reason, trigger_event, entered_at, updated_at) values (?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?, null, ?, ?) on conflict (business_id, id) do update set state = excluded.state, node_id = excluded.node_id, wait_until = excluded.wait_until, visited = excluded.visited, exit_reason = excluded.exit_reason, updated_at = excluded.updated_at",
  );
  const trail = db.prepare(
    "insert into raw_trail (business_id, enrollment_id, seq, at, entry) values (?, ?, ?, ?, ?)",
  );
  const delivery = db.prepare(
    "insert into raw_deliveries (business_id, id, delivery_key, enrollment_id, journey_id, node_id, customer_id, channel, template_id, context, status, attempts, next_attempt_at, lease_until, message_id, detail, created_at, updated_at, sent_at) values (?, ?, ?, ?, ?, ?, ?, 'email', 'tpl_a', '{\"event\":null}', 'queued', 0, ?, null, null, null, ?, ?, null) on conflict (business_id, delivery_key) do nothing",
  );
  const wake = db.prepare(
    "insert into raw_work (business_id, kind, journey_id, customer_id, enrollment_id, run_at, payload, created_at) values (?, 'wake', ?, ?, ?, ?, null, ?)",
  );
  const work = db.prepare(
    "insert into raw_work (business_id, kind, journey_id, customer_id, enrollment_id, run_at, payload, created_at) values (?, 'enter', ?, ?, null, ?, null, ?)",
  );
  const del = db.prepare("delete from raw_work where id = ?");
  const entry = JSON.stringify([
    { type: "entered", at: T0, message: "entered at welcome" },
    { type: "queued", at: T0, message: "queued email" },
    { type: "waiting", at: T0, message: "waiting until tomorrow" },
  ]);
  const workIds = db.transaction(() =>
    customerIds.map((c) => Number(work.run(businessId, journeyId, c, T0, T0).lastInsertRowid)),
  )();

  // Committed as the engine commits its batches: unflushed (see `Store.unflushedTransaction`).
  db.pragma("synchronous = NORMAL");
  const started = performance.now();
  const phase = (fn: (i: number) => void) => {
    for (let i = 0; i < customerIds.length; i += batch) {
      db.transaction(() => {
        for (let j = i; j < Math.min(customerIds.length, i + batch); j++) fn(j);
      })();
    }
  };
  const wakeIds: number[] = [];
  phase((j) => {
    const c = customerIds[j]!;
    const e = `enr_raw_${j}`;
    upsert.run(
      businessId,
      e,
      journeyId,
      c,
      "waiting",
      "wait",
      T0 + 86_400_000,
      '["welcome","wait"]',
      null,
      T0,
      T0,
    );
    trail.run(businessId, e, 1, T0, entry);
    delivery.run(businessId, `dlv_raw_${j}_a`, `${e}:welcome`, e, journeyId, "welcome", c, T0, T0, T0);
    wakeIds.push(Number(wake.run(businessId, journeyId, c, e, T0 + 86_400_000, T0).lastInsertRowid));
    del.run(workIds[j]!);
  });
  phase((j) => {
    const c = customerIds[j]!;
    const e = `enr_raw_${j}`;
    upsert.run(
      businessId,
      e,
      journeyId,
      c,
      "exited",
      "vip",
      null,
      '["welcome","wait","check","vip"]',
      "completed",
      T0,
      T0,
    );
    trail.run(businessId, e, 2, T0, entry);
    delivery.run(businessId, `dlv_raw_${j}_b`, `${e}:vip`, e, journeyId, "vip", c, T0, T0, T0);
    del.run(wakeIds[j]!);
  });
  const seconds = (performance.now() - started) / 1000;
  db.pragma("synchronous = FULL");
  return seconds;
}
