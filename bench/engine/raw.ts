import { type JourneyDefinition, newEnrollment, step } from "@journeys/core";
import { readJson, writeJson } from "../../packages/server/src/store/json";
import type { SqliteStore } from "../../packages/server/src/store/store";
import { type ShadowIndexes, shadowTable } from "../shadow";
import { DAY, T0 } from "./setup";

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
  const [firstStep, secondStep] = vipTrailRows(store, businessId, journeyId);
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

/**
 * The trail rows the engine writes for a VIP customer's two steps (enter, then wake a day
 * later), made by `core.step` on the journey's published definition, as functions of the
 * enrollment id: the delivery keys hold it. Joining the parts costs the timed loop little.
 */
function vipTrailRows(
  store: SqliteStore,
  businessId: string,
  journeyId: string,
): [first: (enrollmentId: string) => string, second: (enrollmentId: string) => string] {
  const definition = readJson<JourneyDefinition>(
    store.raw
      .prepare(
        "select definition from journey_versions where business_id = ? and journey_id = ? order by version desc limit 1",
      )
      .pluck()
      .get(businessId, journeyId),
  );
  const placeholder = "enr_placeholder";
  const vip = { isMember: () => true };
  const enrollment = newEnrollment({ id: placeholder, journeyId, version: 1, customerId: "cus_vip", run: 1 });
  const entered = step(definition, enrollment, { type: "enter" }, T0, vip);
  const woken = step(definition, entered.enrollment, { type: "wake" }, T0 + DAY, vip);
  const row = ({ commands }: typeof entered) => {
    const parts = writeJson(commands.flatMap((c) => (c.type === "trail" ? [c.entry] : []))).split(
      placeholder,
    );
    return (enrollmentId: string) => parts.join(enrollmentId);
  };
  return [row(entered), row(woken)];
}
