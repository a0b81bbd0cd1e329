import type { Enrollment } from "@journeys/core";
import { sql } from "kysely";
import type { Resources } from "../resources";
import { readJson, writeJson } from "../store/json";
import type { DeliveriesTable, EngineWorkTable, EnrollmentsTable } from "../store/schema";
import type { Store } from "../store/store";
import { postgresFlush } from "./postgres-flush";
import { sqliteFlush } from "./sqlite-flush";

type Db = Resources["store"]["db"];
export type Work = Omit<EngineWorkTable, "id"> & { id: number };

/**
 * `column` is one of `values`, as one parameter whatever their number — so the SQL text is the
 * same for every batch, compiled and planned once: `= any($1)` over a text array on
 * PostgreSQL, `in (select value from json_each(?))` over a JSON array on SQLite (the index on
 * `column` is still searched per value).
 */
function oneOf(column: string, values: readonly string[], postgres: boolean) {
  return postgres
    ? sql<boolean>`${sql.ref(column)} = any(${[...values]}::text[])`
    : sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(values)}))`;
}

/**
 * Everything one batch reads, loaded with a handful of set queries (not one per item), so a
 * batch of a thousand steps costs a dozen statements.
 */
export async function loadBatch(db: Db, businessId: string, work: Work[], postgres: boolean) {
  const journeyIds = [...new Set(work.map((w) => w.journey_id))];
  const customerIds = [...new Set(work.map((w) => w.customer_id))];
  const journeys = new Map<string, { status: string; run: number; publishedVersion: number | null }>();
  const journeyRows = await db
    .selectFrom("journeys")
    .select(["id", "status", "run", "published_version"])
    .where("business_id", "=", businessId)
    .where(oneOf("id", journeyIds, postgres))
    .execute();
  for (const row of journeyRows) {
    journeys.set(row.id, {
      status: row.status,
      run: Number(row.run),
      publishedVersion: row.published_version === null ? null : Number(row.published_version),
    });
  }

  // Every enrollment of these customers in these journeys: enough to decide enter (one at a
  // time, once per run), wake / archive (by id) and left_segment (the in-flight one).
  // …each with the last seq of its trail (the next step appends after it).
  const enrollments = new Map<string, EnrollmentsTable>();
  const trailSeq = new Map<string, number>();
  const enrollmentRows = await db
    .selectFrom("enrollments as e")
    .selectAll("e")
    .select((eb) =>
      eb
        .selectFrom("enrollment_trail as t")
        .select((t) => t.fn.max("t.seq").as("seq"))
        .whereRef("t.business_id", "=", "e.business_id")
        .whereRef("t.enrollment_id", "=", "e.id")
        .as("trail_seq"),
    )
    .where("e.business_id", "=", businessId)
    .where(oneOf("e.customer_id", customerIds, postgres))
    .where(oneOf("e.journey_id", journeyIds, postgres))
    .execute();
  for (const { trail_seq, ...row } of enrollmentRows) {
    enrollments.set(row.id, row);
    if (trail_seq !== null) trailSeq.set(row.id, Number(trail_seq));
  }
  return { journeys, enrollments, trailSeq };
}

/** Which of `segmentIds` each customer is in now (what split nodes ask). */
export async function loadMemberships(
  db: Db,
  businessId: string,
  customerIds: string[],
  segmentIds: string[],
  postgres: boolean,
) {
  const memberships = new Map<string, Set<string>>();
  if (segmentIds.length === 0) return memberships;
  const rows = await db
    .selectFrom("segment_members")
    .select(["customer_id", "segment_id"])
    .where("business_id", "=", businessId)
    .where(oneOf("customer_id", customerIds, postgres))
    .where(oneOf("segment_id", segmentIds, postgres))
    .execute();
  for (const row of rows) {
    const set = memberships.get(row.customer_id) ?? new Set<string>();
    set.add(row.segment_id);
    memberships.set(row.customer_id, set);
  }
  return memberships;
}

/** What a batch writes, gathered while stepping and written at the end in one go. */
export class BatchWrites {
  readonly enrollments = new Map<string, EnrollmentsTable>();
  readonly trail: { business_id: string; enrollment_id: string; seq: number; at: number; entry: string }[] =
    [];
  readonly deliveries: DeliveriesTable[] = [];
  readonly wakes: Omit<EngineWorkTable, "id">[] = [];

  /**
   * Writes everything in the batch's transaction, through each dialect's fast path. Resolves to
   * the deliveries inserted: one whose delivery key is already in the outbox (a batch run
   * again after a crash) inserts nothing.
   */
  async flush(db: Db, store: Store, businessId: string, done: number[]): Promise<DeliveriesTable[]> {
    const writes = {
      enrollments: [...this.enrollments.values()],
      trail: this.trail,
      deliveries: this.deliveries,
      wakes: this.wakes,
    };
    return store.dialect === "postgres"
      ? postgresFlush(db, businessId, writes, done)
      : sqliteFlush(store.raw, writes, done);
  }
}

/** `triggerEvent` is the stored JSON text of the event that enrolled the customer, or null. */
export function enrollmentRow(
  businessId: string,
  e: Enrollment,
  triggerEvent: string | null,
  enteredAt: number,
  now: number,
): EnrollmentsTable {
  return {
    business_id: businessId,
    id: e.id,
    journey_id: e.journeyId,
    version: e.version,
    run: e.run,
    customer_id: e.customerId,
    state: e.state,
    node_id: e.nodeId,
    wait_until: e.waitUntil,
    visited: writeJson(e.visited),
    exit_reason: e.exitReason,
    trigger_event: triggerEvent,
    entered_at: enteredAt,
    updated_at: now,
  };
}

export function fromRow(row: EnrollmentsTable): Enrollment {
  return {
    id: row.id,
    journeyId: row.journey_id,
    version: Number(row.version),
    customerId: row.customer_id,
    run: Number(row.run),
    state: row.state as Enrollment["state"],
    nodeId: row.node_id,
    waitUntil: row.wait_until === null ? null : Number(row.wait_until),
    visited: readJson<string[]>(row.visited),
    exitReason: row.exit_reason as Enrollment["exitReason"],
  };
}
