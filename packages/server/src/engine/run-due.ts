import {
  type EnrollmentInput,
  type JourneyDefinition,
  newEnrollment,
  splitSegmentIds,
  step,
} from "@journeys/core";
import { sql } from "kysely";
import type { Resources } from "../resources";
import { jsonText, writeJson } from "../store/json";
import type { DeliveriesTable, EnrollmentsTable } from "../store/schema";
import { writeTransaction } from "../store/transaction";
import { BatchWrites, enrollmentRow, fromRow, loadBatch, loadMemberships, type Work } from "./batch";
import type { DefinitionCache } from "./definitions";
import type { DeliveryHandOff } from "./hand-off";

export { fromRow } from "./batch";

/**
 * One of `of` concurrent claimers in a process: it takes only the work of its share of the
 * customers, so two lanes never step the same enrollment at once.
 */
export interface Lane {
  index: number;
  of: number;
}

export interface RunDueResult {
  /** Work items taken from the queue (each one interpreter call, or a no-op). */
  processed: number;
  /** Journey nodes executed by those calls (message, delay, split). */
  nodes: number;
  /** Deliveries written to the outbox (handed off or not). */
  queued: number;
  /** Of those, handed straight to this process's dispatcher (see `hand-off.ts`). */
  handedOff: number;
}

/**
 * How many of a batch's new deliveries are written claimed for the dispatcher's hand-off, and
 * until when they are leased; `left` counts down as they are written.
 */
interface Claims {
  left: number;
  leaseUntil: number;
}

/**
 * Claims up to `limit` due work items and runs each through the pure interpreter, then
 * commits all new states, trail entries, outbox deliveries and timers together with the
 * removal of the claimed items — one transaction per batch, a dozen set statements whatever
 * its size. A crash before the commit leaves the items queued, and running them again is
 * safe: enrollments are unique per (journey, customer, run), deliveries per delivery key.
 *
 * PostgreSQL: `FOR UPDATE SKIP LOCKED`, so many workers drain one queue; SQLite: one writer.
 */
export async function runDue(
  r: Resources,
  definitions: DefinitionCache,
  options: { limit: number; now?: number; lane?: Lane; handOff?: DeliveryHandOff },
): Promise<RunDueResult> {
  const now = options.now ?? r.clock.now();
  const lane = options.lane;
  if (lane && lane.of > 1 && r.store.dialect !== "postgres")
    throw new Error("lanes need PostgreSQL: SQLite has one writer");
  // SQLite: a round with nothing due (the last of every settle) opens no write transaction.
  if (r.store.dialect === "sqlite" && !(await workDue(r.store.db, now)))
    return { processed: 0, nodes: 0, queued: 0, handedOff: 0 };
  const handOff = options.handOff;
  const claims: Claims = { left: handOff?.room() ?? 0, leaseUntil: now + (handOff?.leaseMs ?? 0) };
  const handed: DeliveriesTable[] = [];
  // Unflushed: no one outside has been told of these steps; a delivery's claim, flushed,
  // makes them durable before anything is sent. Deliveries handed off skip the claim, so on
  // PostgreSQL a batch that may hand some off commits flushed (SQLite's dispatcher syncs the
  // log before sending them instead: a flushed commit would fsync on the event loop).
  const flushed = claims.left > 0 && r.store.dialect === "postgres";
  const result = await writeTransaction(r.store, { flushed }, async (trx) => {
    const work = await claimWork(trx, r.store.dialect === "postgres", now, options.limit, lane);
    const result: RunDueResult = { processed: work.length, nodes: 0, queued: 0, handedOff: 0 };
    const byBusiness = new Map<string, Work[]>();
    for (const item of work) {
      const items = byBusiness.get(item.business_id);
      if (items) items.push(item);
      else byBusiness.set(item.business_id, [item]);
    }
    for (const [businessId, items] of byBusiness) {
      const { nodes, queued } = await runBusiness(r, trx, definitions, businessId, items, now, claims);
      result.nodes += nodes;
      result.queued += queued.length;
      for (const row of queued) if (row.status === "sending") handed.push(row);
    }
    return result;
  });
  // Committed: only now may the dispatcher send them.
  if (handOff && handed.length > 0) handOff.take(handed);
  return { ...result, handedOff: handed.length };
}

/** Whether any work item is due at `now` (read without a transaction). */
export async function workDue(db: Resources["store"]["db"], now: number): Promise<boolean> {
  const row = await db
    .selectFrom("engine_work")
    .select("id")
    .where("run_at", "<=", now)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The due work of this transaction, oldest first. PostgreSQL takes it out of the queue in the
 * same statement (`delete … returning`, rows other workers hold skipped), so the commit that
 * writes its results is the one that removes it; SQLite reads it and the flush deletes it.
 */
async function claimWork(
  db: Resources["store"]["db"],
  postgres: boolean,
  now: number,
  limit: number,
  lane: Lane | undefined,
): Promise<Work[]> {
  if (!postgres) {
    return (await db
      .selectFrom("engine_work")
      .selectAll()
      .where("run_at", "<=", now)
      .orderBy("run_at")
      .orderBy("id")
      .limit(limit)
      .execute()) as Work[];
  }
  const ofLane =
    lane && lane.of > 1 ? sql`and (hashtext(customer_id) & 2147483647) % ${lane.of} = ${lane.index}` : sql``;
  const { rows } = await sql<Work>`
    delete from engine_work where (business_id, id) in (
      select business_id, id from engine_work where run_at <= ${now} ${ofLane}
      order by run_at, id limit ${limit} for update skip locked)
    returning *`.execute(db);
  return rows
    .map((row) => ({ ...row, id: Number(row.id), run_at: Number(row.run_at) }))
    .sort((a, b) => a.run_at - b.run_at || a.id - b.id);
}

async function runBusiness(
  r: Resources,
  db: Resources["store"]["db"],
  definitions: DefinitionCache,
  businessId: string,
  items: Work[],
  now: number,
  claims: Claims,
) {
  const postgres = r.store.dialect === "postgres";
  const loaded = await loadBatch(db, businessId, items, postgres);
  // The definitions in play, each read once (the cache holds them across batches): the
  // published version for entries, each loaded enrollment's own version for the rest.
  const inPlay = new Map<string, JourneyDefinition | null>();
  const versionKey = (journeyId: string, version: number) => `${journeyId}\u0000${version}`;
  const wanted = new Map<string, [journeyId: string, version: number]>();
  for (const item of items) {
    const version = loaded.journeys.get(item.journey_id)?.publishedVersion ?? null;
    if (version !== null) wanted.set(versionKey(item.journey_id, version), [item.journey_id, version]);
  }
  for (const row of loaded.enrollments.values())
    wanted.set(versionKey(row.journey_id, Number(row.version)), [row.journey_id, Number(row.version)]);
  for (const [key, [journeyId, version]] of wanted)
    inPlay.set(key, await definitions.get(db, businessId, journeyId, version));
  // Split nodes read memberships: load them once for the batch, for the segments any version in play splits on.
  const splitSegments = new Set<string>();
  for (const definition of inPlay.values())
    if (definition) for (const id of splitSegmentIds(definition)) splitSegments.add(id);
  const memberships = await loadMemberships(
    db,
    businessId,
    [...new Set(items.map((i) => i.customer_id))],
    [...splitSegments],
    postgres,
  );

  const writes = new BatchWrites();
  const current = (id: string): EnrollmentsTable | undefined =>
    writes.enrollments.get(id) ?? loaded.enrollments.get(id);
  const ofCustomer = new Map<string, string[]>();
  const index = (row: EnrollmentsTable) => {
    const key = `${row.journey_id}\u0000${row.customer_id}`;
    const ids = ofCustomer.get(key);
    if (ids) ids.push(row.id);
    else ofCustomer.set(key, [row.id]);
  };
  for (const row of loaded.enrollments.values()) index(row);
  let nodes = 0;

  for (const item of items) {
    const journey = loaded.journeys.get(item.journey_id);
    if (!journey) continue;
    const mine = (ofCustomer.get(`${item.journey_id}\u0000${item.customer_id}`) ?? []).map(
      (id) => current(id)!,
    );
    let row: EnrollmentsTable | undefined;
    let input: EnrollmentInput;
    if (item.kind === "enter") {
      // Paused, archived or draft journeys enroll no one new; one enrollment at a time; no re-entry within a run.
      if (journey.status !== "active" || journey.publishedVersion === null) continue;
      if (mine.some((e) => e.state !== "exited" || Number(e.run) === journey.run)) continue;
      const fresh = newEnrollment({
        id: r.newId("enr"),
        journeyId: item.journey_id,
        version: journey.publishedVersion,
        customerId: item.customer_id,
        run: journey.run,
      });
      row = enrollmentRow(businessId, fresh, jsonText(item.payload), now, now);
      index(row);
      input = { type: "enter" };
    } else {
      row = item.enrollment_id ? current(item.enrollment_id) : mine.find((e) => e.state !== "exited");
      if (!row) continue;
      // Archiving outranks everything: an archived journey sends nothing more.
      input =
        journey.status === "archived"
          ? { type: "archive" }
          : { type: item.kind as "wake" | "left_segment" | "archive" };
    }
    const enrollment = fromRow(row);
    const definition = inPlay.get(versionKey(item.journey_id, enrollment.version));
    if (!definition) continue;
    const members = memberships.get(item.customer_id);
    const result = step(definition, enrollment, input, now, { isMember: (id) => members?.has(id) ?? false });
    if (result.enrollment === enrollment && result.commands.length === 0) {
      if (item.kind === "enter") writes.enrollments.set(row.id, row);
      continue;
    }
    nodes += result.enrollment.visited.length - enrollment.visited.length;
    const entries: unknown[] = [];
    for (const command of result.commands) {
      if (command.type === "trail") entries.push(command.entry);
      else if (command.type === "send") {
        const claimed = claims.left > 0;
        if (claimed) claims.left--;
        writes.deliveries.push({
          business_id: businessId,
          id: r.newId("dlv"),
          delivery_key: command.deliveryKey,
          enrollment_id: enrollment.id,
          journey_id: enrollment.journeyId,
          node_id: command.nodeId,
          customer_id: enrollment.customerId,
          channel: command.channel,
          template_id: command.templateId,
          context: command.fallback
            ? `{"event":${jsonText(row.trigger_event) ?? "null"},"fallback":${JSON.stringify(command.fallback)}}`
            : `{"event":${jsonText(row.trigger_event) ?? "null"}}`,
          // Claimed for the hand-off as a claim would: attempt 1, leased; else queued, due now.
          status: claimed ? "sending" : "queued",
          attempts: claimed ? 1 : 0,
          next_attempt_at: claimed ? claims.leaseUntil : now,
          lease_until: claimed ? claims.leaseUntil : null,
          message_id: null,
          detail: null,
          created_at: now,
          updated_at: now,
          sent_at: null,
        });
      } else if (command.type === "wake_at") {
        writes.wakes.push({
          business_id: businessId,
          kind: "wake",
          journey_id: enrollment.journeyId,
          customer_id: enrollment.customerId,
          enrollment_id: enrollment.id,
          run_at: command.at,
          payload: null,
          created_at: now,
        });
      }
    }
    if (entries.length > 0) {
      // One trail row per step; readers flatten it (a step's decisions belong together).
      const seq = (loaded.trailSeq.get(enrollment.id) ?? 0) + 1;
      loaded.trailSeq.set(enrollment.id, seq);
      writes.trail.push({
        business_id: businessId,
        enrollment_id: enrollment.id,
        seq,
        at: now,
        entry: writeJson(entries.length === 1 ? entries[0] : entries),
      });
    }
    writes.enrollments.set(
      enrollment.id,
      enrollmentRow(businessId, result.enrollment, jsonText(row.trigger_event), Number(row.entered_at), now),
    );
  }
  // PostgreSQL removed the items when it claimed them.
  const queued = await writes.flush(db, r.store, businessId, postgres ? [] : items.map((i) => i.id));
  return { nodes, queued };
}
