import type { SqliteStore } from "../../packages/server/src/store/store";
import { type ShadowIndexes, shadowTable } from "../shadow";
import { T0 } from "./setup";

/**
 * The raw ceiling on SQLite: the same rows the engine writes for the workload (per customer,
 * one row per step of each kind: an enrollment inserted then updated, two trail rows, two
 * deliveries, a wake inserted and deleted, the enter work item deleted) with prepared
 * statements in batches and no engine logic, committed unflushed as the engine's batches
 * are. Ids have the length and the order of real ones, trail rows the engine's text. The rows
 * go to empty copies of the engine's tables (`shadowTable`), with every index of the schema or
 * only its unique ones. Returns the seconds it took.
 */
export function rawCeiling(
  store: SqliteStore,
  businessId: string,
  journeyId: string,
  customerIds: string[],
  batch: number,
  indexes: ShadowIndexes = "every index",
): number {
  const db = store.raw;
  const prefix = indexes === "every index" ? "raw" : "rawkeys";
  const [enrollments, trailTable, deliveries, queue] = [
    "enrollments",
    "enrollment_trail",
    "deliveries",
    "engine_work",
  ].map((table) => shadowTable(db, table, prefix, indexes));
  const upsert = db.prepare(
    `insert into ${enrollments} (business_id, id, journey_id, version, run, customer_id, state, node_id, wait_until, visited, exit_reason, trigger_event, entered_at, updated_at) values (?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?, null, ?, ?) on conflict (business_id, id) do update set state = excluded.state, node_id = excluded.node_id, wait_until = excluded.wait_until, visited = excluded.visited, exit_reason = excluded.exit_reason, updated_at = excluded.updated_at`,
  );
  const trail = db.prepare(
    `insert into ${trailTable} (business_id, enrollment_id, seq, at, entry) values (?, ?, ?, ?, ?)`,
  );
  const delivery = db.prepare(
    `insert into ${deliveries} (business_id, id, delivery_key, enrollment_id, journey_id, node_id, customer_id, channel, template_id, context, status, attempts, next_attempt_at, lease_until, message_id, detail, created_at, updated_at, sent_at) values (?, ?, ?, ?, ?, ?, ?, 'email', 'tpl_a', '{"event":null}', 'queued', 0, ?, null, null, null, ?, ?, null) on conflict (business_id, delivery_key) do nothing`,
  );
  const wake = db.prepare(
    `insert into ${queue} (business_id, kind, journey_id, customer_id, enrollment_id, run_at, payload, created_at) values (?, 'wake', ?, ?, ?, ?, null, ?)`,
  );
  const work = db.prepare(
    `insert into ${queue} (business_id, kind, journey_id, customer_id, enrollment_id, run_at, payload, created_at) values (?, 'enter', ?, ?, null, ?, null, ?)`,
  );
  const del = db.prepare(`delete from ${queue} where id = ?`);
  // What the engine's trail rows hold for the two steps of a VIP customer.
  const until = new Date(T0 + 86_400_000).toISOString();
  const firstStep = (e: string) =>
    JSON.stringify([
      { type: "entered", at: T0, nodeId: "welcome", message: 'Entered the journey at step "welcome".' },
      {
        type: "queued",
        at: T0,
        nodeId: "welcome",
        channel: "email",
        templateId: "tpl_a",
        deliveryKey: `${e}:welcome`,
        message: 'Queued email message "welcome" with template tpl_a.',
      },
      {
        type: "waiting",
        at: T0,
        nodeId: "wait",
        until: T0 + 86_400_000,
        message: `Waiting 1 day at delay "wait", until ${until}.`,
      },
    ]);
  const secondStep = (e: string) =>
    JSON.stringify([
      {
        type: "waited",
        at: T0,
        nodeId: "wait",
        until: T0 + 86_400_000,
        message: `Waited at delay "wait" until ${until}.`,
      },
      {
        type: "branched",
        at: T0,
        nodeId: "check",
        segmentId: "seg_vip",
        member: true,
        branch: "true",
        message: 'Took the true branch of split "check": a member of segment seg_vip.',
      },
      {
        type: "queued",
        at: T0,
        nodeId: "vip",
        channel: "email",
        templateId: "tpl_b",
        deliveryKey: `${e}:vip`,
        message: 'Queued email message "vip" with template tpl_b.',
      },
      {
        type: "exited",
        at: T0,
        nodeId: "vip",
        reason: "completed",
        message: 'Exited: reached the end after step "vip".',
      },
    ]);
  // Ids as long as real ones (a prefix and 26 characters), in creation order as theirs are.
  const id = (prefix: string, n: number) => `${prefix}_${String(n).padStart(26, "0")}`;
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
    const e = id("enr", j);
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
    trail.run(businessId, e, 1, T0, firstStep(e));
    delivery.run(businessId, id("dlv", j), `${e}:welcome`, e, journeyId, "welcome", c, T0, T0, T0);
    wakeIds.push(Number(wake.run(businessId, journeyId, c, e, T0 + 86_400_000, T0).lastInsertRowid));
    del.run(workIds[j]!);
  });
  phase((j) => {
    const c = customerIds[j]!;
    const e = id("enr", j);
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
    trail.run(businessId, e, 2, T0, secondStep(e));
    delivery.run(
      businessId,
      id("dlv", customerIds.length + j),
      `${e}:vip`,
      e,
      journeyId,
      "vip",
      c,
      T0,
      T0,
      T0,
    );
    del.run(wakeIds[j]!);
  });
  const seconds = (performance.now() - started) / 1000;
  db.pragma("synchronous = FULL");
  return seconds;
}
