import type { Enrollment } from "@journeys/core";
import type { Resources } from "../resources";
import { readJson, writeJson } from "../store/json";
import type { DeliveriesTable, EngineWorkTable, EnrollmentsTable } from "../store/schema";
import type { Store } from "../store/store";
import { sqliteFlush } from "./sqlite-flush";

type Db = Resources["store"]["db"];
export type Work = Omit<EngineWorkTable, "id"> & { id: number };

/** Rows per multi-row statement: well under SQLite's 32,766 bound parameters. */
const CHUNK = 400;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Everything one batch reads, loaded with a handful of set queries (not one per item), so a
 * batch of a thousand steps costs a dozen statements.
 */
export async function loadBatch(db: Db, businessId: string, work: Work[]) {
  const journeyIds = [...new Set(work.map((w) => w.journey_id))];
  const customerIds = [...new Set(work.map((w) => w.customer_id))];
  const journeys = new Map<string, { status: string; run: number; publishedVersion: number | null }>();
  for (const part of chunks(journeyIds)) {
    const rows = await db
      .selectFrom("journeys")
      .select(["id", "status", "run", "published_version"])
      .where("business_id", "=", businessId)
      .where("id", "in", part)
      .execute();
    for (const row of rows) {
      journeys.set(row.id, {
        status: row.status,
        run: Number(row.run),
        publishedVersion: row.published_version === null ? null : Number(row.published_version),
      });
    }
  }

  // Every enrollment of these customers in these journeys: enough to decide enter (one at a
  // time, once per run), wake / archive (by id) and left_segment (the in-flight one).
  const enrollments = new Map<string, EnrollmentsTable>();
  for (const part of chunks(customerIds)) {
    const rows = await db
      .selectFrom("enrollments")
      .selectAll()
      .where("business_id", "=", businessId)
      .where("customer_id", "in", part)
      .where("journey_id", "in", journeyIds)
      .execute();
    for (const row of rows) enrollments.set(row.id, row);
  }

  const trailSeq = new Map<string, number>();
  for (const part of chunks([...enrollments.keys()])) {
    const rows = await db
      .selectFrom("enrollment_trail")
      .select(["enrollment_id", (eb) => eb.fn.max("seq").as("seq")])
      .where("business_id", "=", businessId)
      .where("enrollment_id", "in", part)
      .groupBy("enrollment_id")
      .execute();
    for (const row of rows) trailSeq.set(row.enrollment_id, Number(row.seq));
  }
  return { journeys, enrollments, trailSeq };
}

/** Which of `segmentIds` each customer is in now (what split nodes ask). */
export async function loadMemberships(
  db: Db,
  businessId: string,
  customerIds: string[],
  segmentIds: string[],
) {
  const memberships = new Map<string, Set<string>>();
  if (segmentIds.length === 0) return memberships;
  for (const part of chunks(customerIds)) {
    const rows = await db
      .selectFrom("segment_members")
      .select(["customer_id", "segment_id"])
      .where("business_id", "=", businessId)
      .where("customer_id", "in", part)
      .where("segment_id", "in", segmentIds)
      .execute();
    for (const row of rows) {
      const set = memberships.get(row.customer_id) ?? new Set<string>();
      set.add(row.segment_id);
      memberships.set(row.customer_id, set);
    }
  }
  return memberships;
}

/** What a batch writes, gathered while stepping and written with multi-row statements. */
export class BatchWrites {
  readonly enrollments = new Map<string, EnrollmentsTable>();
  readonly trail: { business_id: string; enrollment_id: string; seq: number; at: number; entry: string }[] =
    [];
  readonly deliveries: DeliveriesTable[] = [];
  readonly wakes: Omit<EngineWorkTable, "id">[] = [];

  async flush(db: Db, store: Store, businessId: string, done: number[]): Promise<number> {
    if (store.dialect === "sqlite") {
      return sqliteFlush(
        store.raw,
        {
          enrollments: this.enrollments.values(),
          trail: this.trail,
          deliveries: this.deliveries,
          wakes: this.wakes,
        },
        done,
      );
    }
    for (const part of chunks([...this.enrollments.values()])) {
      await db
        .insertInto("enrollments")
        .values(part)
        .onConflict((oc) =>
          oc.columns(["business_id", "id"]).doUpdateSet((eb) => ({
            state: eb.ref("excluded.state"),
            node_id: eb.ref("excluded.node_id"),
            wait_until: eb.ref("excluded.wait_until"),
            visited: eb.ref("excluded.visited"),
            exit_reason: eb.ref("excluded.exit_reason"),
            updated_at: eb.ref("excluded.updated_at"),
          })),
        )
        .execute();
    }
    for (const part of chunks(this.trail)) await db.insertInto("enrollment_trail").values(part).execute();
    let queued = 0;
    for (const part of chunks(this.deliveries)) {
      const result = await db
        .insertInto("deliveries")
        .values(part)
        .onConflict((oc) => oc.columns(["business_id", "delivery_key"]).doNothing())
        .executeTakeFirst();
      queued += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
    for (const part of chunks(this.wakes)) await db.insertInto("engine_work").values(part).execute();
    // With business_id, PostgreSQL finds the rows through the primary key (business_id, id).
    for (const part of chunks(done)) {
      await db
        .deleteFrom("engine_work")
        .where("business_id", "=", businessId)
        .where("id", "in", part)
        .execute();
    }
    return queued;
  }
}

export function enrollmentRow(
  businessId: string,
  e: Enrollment,
  triggerEvent: unknown,
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
    trigger_event: triggerEvent === null || triggerEvent === undefined ? null : writeJson(triggerEvent),
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
