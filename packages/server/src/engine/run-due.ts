import { type Enrollment, type EnrollmentInput, newEnrollment, splitSegmentIds, step } from "@journeys/core";
import type { Resources } from "../resources";
import { readJson, writeJson } from "../store/json";
import type { EngineWorkTable, EnrollmentsTable } from "../store/schema";
import type { DefinitionCache } from "./definitions";

type Db = Resources["store"]["db"];
type Work = Omit<EngineWorkTable, "id"> & { id: number };

export interface RunDueResult {
  /** Work items taken from the queue (each one step or a no-op). */
  processed: number;
  /** Deliveries written to the outbox. */
  queued: number;
}

/**
 * Claims up to `limit` due work items and runs each through the pure interpreter, then
 * commits all new states, trail entries, outbox deliveries and timers with the removal of the
 * claimed items — one transaction per batch. A crash before the commit leaves the items in the
 * queue, and re-running them is safe: enrollments are unique per (journey, customer, run) and
 * deliveries per delivery key.
 *
 * PostgreSQL: `FOR UPDATE SKIP LOCKED`, so many workers drain one queue; SQLite: one writer.
 */
export async function runDue(
  r: Resources,
  definitions: DefinitionCache,
  options: { limit: number; now?: number },
): Promise<RunDueResult> {
  const now = options.now ?? r.clock.now();
  return r.store.db.transaction().execute(async (trx) => {
    let claim = trx
      .selectFrom("engine_work")
      .selectAll()
      .where("run_at", "<=", now)
      .orderBy("run_at")
      .orderBy("id")
      .limit(options.limit);
    if (r.store.dialect === "postgres") claim = claim.forUpdate().skipLocked();
    const work = (await claim.execute()) as Work[];
    if (work.length === 0) return { processed: 0, queued: 0 };
    let queued = 0;
    for (const item of work) queued += await runOne(r, trx, definitions, item, now);
    const ids = work.map((w) => w.id);
    for (let i = 0; i < ids.length; i += 500) {
      await trx
        .deleteFrom("engine_work")
        .where("id", "in", ids.slice(i, i + 500))
        .execute();
    }
    return { processed: work.length, queued };
  });
}

/** One work item; returns how many deliveries it queued. */
async function runOne(
  r: Resources,
  db: Db,
  definitions: DefinitionCache,
  item: Work,
  now: number,
): Promise<number> {
  const journey = await db
    .selectFrom("journeys")
    .select(["status", "run", "published_version"])
    .where("business_id", "=", item.business_id)
    .where("id", "=", item.journey_id)
    .executeTakeFirst();
  if (!journey) return 0;

  let row: EnrollmentsTable | undefined;
  let input: EnrollmentInput;
  if (item.kind === "enter") {
    // Paused, archived or draft journeys enroll no one new.
    if (journey.status !== "active" || journey.published_version === null) return 0;
    const existing = await db
      .selectFrom("enrollments")
      .select(["run", "state"])
      .where("business_id", "=", item.business_id)
      .where("journey_id", "=", item.journey_id)
      .where("customer_id", "=", item.customer_id)
      .execute();
    // One enrollment per customer per journey at a time, and no re-entry within a run.
    if (existing.some((e) => e.state !== "exited" || Number(e.run) === Number(journey.run))) return 0;
    const fresh = newEnrollment({
      id: r.newId("enr"),
      journeyId: item.journey_id,
      version: Number(journey.published_version),
      customerId: item.customer_id,
      run: Number(journey.run),
    });
    row = toRow(item.business_id, fresh, readJson(item.payload), now);
    await db.insertInto("enrollments").values(row).execute();
    input = { type: "enter" };
  } else {
    let q = db.selectFrom("enrollments").selectAll().where("business_id", "=", item.business_id);
    q = item.enrollment_id
      ? q.where("id", "=", item.enrollment_id)
      : q
          .where("journey_id", "=", item.journey_id)
          .where("customer_id", "=", item.customer_id)
          .where("state", "!=", "exited");
    row = await q.executeTakeFirst();
    if (!row) return 0;
    input = { type: item.kind as "wake" | "left_segment" | "archive" };
    // Archiving outranks everything: an archived journey sends nothing more.
    if (journey.status === "archived") input = { type: "archive" };
  }

  const enrollment = fromRow(row);
  const definition = await definitions.get(db, item.business_id, item.journey_id, enrollment.version);
  if (!definition) return 0;
  const splits = splitSegmentIds(definition);
  const members = new Set<string>();
  if (splits.length > 0 && input.type !== "archive" && input.type !== "left_segment") {
    const rows = await db
      .selectFrom("segment_members")
      .select("segment_id")
      .where("business_id", "=", item.business_id)
      .where("customer_id", "=", item.customer_id)
      .where("segment_id", "in", splits)
      .execute();
    for (const m of rows) members.add(m.segment_id);
  }
  const result = step(definition, enrollment, input, now, { isMember: (id) => members.has(id) });
  if (result.enrollment === enrollment && result.commands.length === 0) return 0;

  let seq = await lastTrailSeq(db, item.business_id, enrollment.id);
  let queued = 0;
  for (const command of result.commands) {
    switch (command.type) {
      case "trail":
        await db
          .insertInto("enrollment_trail")
          .values({
            business_id: item.business_id,
            enrollment_id: enrollment.id,
            seq: ++seq,
            at: now,
            entry: writeJson(command.entry),
          })
          .execute();
        break;
      case "send": {
        const inserted = await db
          .insertInto("deliveries")
          .values({
            business_id: item.business_id,
            id: r.newId("dlv"),
            delivery_key: command.deliveryKey,
            enrollment_id: enrollment.id,
            journey_id: enrollment.journeyId,
            node_id: command.nodeId,
            customer_id: enrollment.customerId,
            channel: command.channel,
            template_id: command.templateId,
            context: writeJson({ event: readJson(row.trigger_event) ?? null }),
            status: "queued",
            attempts: 0,
            next_attempt_at: now,
            lease_until: null,
            message_id: null,
            detail: null,
            created_at: now,
            updated_at: now,
            sent_at: null,
          })
          .onConflict((oc) => oc.columns(["business_id", "delivery_key"]).doNothing())
          .executeTakeFirst();
        queued += Number(inserted.numInsertedOrUpdatedRows ?? 0n);
        break;
      }
      case "wake_at":
        await db
          .insertInto("engine_work")
          .values({
            business_id: item.business_id,
            kind: "wake",
            journey_id: enrollment.journeyId,
            customer_id: enrollment.customerId,
            enrollment_id: enrollment.id,
            run_at: command.at,
            payload: null,
            created_at: now,
          })
          .execute();
        break;
      case "exited":
        break;
    }
  }
  const next = result.enrollment;
  await db
    .updateTable("enrollments")
    .set({
      state: next.state,
      node_id: next.nodeId,
      wait_until: next.waitUntil,
      visited: writeJson(next.visited),
      exit_reason: next.exitReason,
      updated_at: now,
    })
    .where("business_id", "=", item.business_id)
    .where("id", "=", enrollment.id)
    .execute();
  return queued;
}

async function lastTrailSeq(db: Db, businessId: string, enrollmentId: string): Promise<number> {
  const row = await db
    .selectFrom("enrollment_trail")
    .select((eb) => eb.fn.max("seq").as("seq"))
    .where("business_id", "=", businessId)
    .where("enrollment_id", "=", enrollmentId)
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}

function toRow(businessId: string, e: Enrollment, triggerEvent: unknown, now: number): EnrollmentsTable {
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
    entered_at: now,
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
