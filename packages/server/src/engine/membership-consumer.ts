import { type Insertable, type Selectable, sql } from "kysely";
import { storedDefinition } from "../journeys/journey";
import type { Resources } from "../resources";
import type { EngineWorkTable, MembershipEventsTable } from "../store/schema";
import { DefinitionCache } from "./definitions";

type Db = Resources["store"]["db"];
type LogRow = Selectable<MembershipEventsTable>;

const CURSOR = "membership_events";

/**
 * Reads the membership log (joined / left) from where it last stopped and turns it into engine
 * work for segment-triggered journeys: `joined` → enter (active journeys, by their current
 * trigger), `left` → left_segment for the in-flight enrollments that entered through that
 * segment (see `inFlightEnrollments`). The cursor moves in the same transaction, so each log row
 * becomes work exactly once.
 *
 * SQLite reads in `seq` order: one writer, so seq order is commit order. PostgreSQL reads in
 * (txid, seq) order, and only rows of transactions older than every one still running: a seq
 * taken by a long transaction commits after higher ones, and a seq cursor stepped over it.
 */
export async function consumeMemberships(
  r: Resources,
  options: { limit: number; definitions?: DefinitionCache },
): Promise<number> {
  const definitions = options.definitions ?? new DefinitionCache();
  const postgres = r.store.dialect === "postgres";
  // SQLite: most rounds find the log read to its end — say so without a write transaction.
  // A row committed just after this look signals the engine, which looks again.
  if (!postgres && !(await hasUnreadMemberships(r.store.db, false))) return 0;
  // Unflushed, as the engine's batches (see `Store.unflushedTransaction`).
  return r.store.unflushedTransaction(async (trx) => {
    // Every transaction below this id has ended. Read before this one takes an id of its own,
    // so rows committed just now are not held back behind it.
    const finishedBelow = postgres
      ? Number(
          (
            await sql<{ xmin: string }>`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`.execute(
              trx,
            )
          ).rows[0]!.xmin,
        )
      : 0;
    const cursor = await lockCursor(trx, postgres);
    let q = trx.selectFrom("membership_events").selectAll().where(pastCursor(cursor, postgres));
    q = postgres ? q.where("txid", "<", finishedBelow).orderBy("txid").orderBy("seq") : q.orderBy("seq");
    const usable = await q.limit(options.limit).execute();
    const last = usable.at(-1);
    if (!last) return 0;

    const journeys = await liveJourneys(trx, [...new Set(usable.map((e) => e.business_id))]);
    const left = usable.filter((e) => e.change === "left");
    const inFlight = await inFlightEnrollments(trx, left, journeys.live, definitions);
    const now = r.clock.now();
    const work: Insertable<EngineWorkTable>[] = [];
    const item = (event: LogRow, kind: string, journeyId: string, enrollmentId: string | null) =>
      work.push({
        business_id: event.business_id,
        kind,
        journey_id: journeyId,
        customer_id: event.customer_id,
        enrollment_id: enrollmentId,
        run_at: now,
        payload: null,
        created_at: now,
      });
    for (const event of usable) {
      const active = journeys.enrolling.get(`${event.business_id}\u0000${event.segment_id}`) ?? [];
      if (event.change === "joined") {
        for (const journeyId of active) item(event, "enter", journeyId, null);
        continue;
      }
      const mine = inFlight.get(`${event.business_id}\u0000${event.customer_id}`) ?? [];
      for (const e of mine)
        if (e.entrySegment === event.segment_id) item(event, "left_segment", e.journeyId, e.id);
      // No enrollment in flight yet, but an `enter` may still be queued (the customer joined
      // moments ago): this item runs after it and exits what it enrolled, on the published
      // version, whose trigger is this segment. Where one is in flight, a queued enter is a no-op.
      for (const journeyId of active)
        if (!mine.some((e) => e.journeyId === journeyId)) item(event, "left_segment", journeyId, null);
    }
    for (let i = 0; i < work.length; i += 500)
      await trx
        .insertInto("engine_work")
        .values(work.slice(i, i + 500))
        .execute();
    await trx
      .updateTable("engine_cursors")
      .set({ position: Number(last.seq), txid: Number(last.txid) })
      .where("name", "=", CURSOR)
      .execute();
    return usable.length;
  });
}

interface Cursor {
  /** The last seq read. */
  position: number;
  /** PostgreSQL: the txid of the last row read; SQLite: 0. */
  txid: number;
}

/** Log rows after the cursor, in the order the store reads them. */
function pastCursor(cursor: Cursor, postgres: boolean) {
  return postgres
    ? sql<boolean>`(txid, seq) > (${cursor.txid}, ${cursor.position})`
    : sql<boolean>`seq > ${cursor.position}`;
}

/** Whether the log holds rows the consumer has not read yet (committed or about to be). */
export async function hasUnreadMemberships(db: Db, postgres: boolean): Promise<boolean> {
  const unread = await db
    .selectFrom("membership_events")
    .select("seq")
    .where(pastCursor(await readCursor(db, false), postgres))
    .limit(1)
    .executeTakeFirst();
  return unread !== undefined;
}

/** Creates the cursor on first use, then reads it under a row lock (PostgreSQL). */
async function lockCursor(db: Db, postgres: boolean): Promise<Cursor> {
  await db
    .insertInto("engine_cursors")
    .values({ name: CURSOR, position: 0 })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  return readCursor(db, postgres);
}

async function readCursor(db: Db, lock: boolean): Promise<Cursor> {
  let q = db.selectFrom("engine_cursors").select(["position", "txid"]).where("name", "=", CURSOR);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return { position: Number(row?.position ?? 0), txid: Number(row?.txid ?? 0) };
}

/**
 * The journeys of these businesses that can act on the log: `enrolling`, the active ones by
 * business and entry segment (whom a join enrolls); `live`, every active or paused journey by
 * business (whose in-flight customers a leave can exit; archive exits the others anyway).
 */
async function liveJourneys(db: Db, businessIds: string[]) {
  const rows = await db
    .selectFrom("journeys")
    .select(["business_id", "id", "status", "definition"])
    .where("business_id", "in", businessIds)
    .where("status", "in", ["active", "paused"])
    .execute();
  const enrolling = new Map<string, string[]>();
  const live = new Map<string, string[]>();
  for (const row of rows) {
    live.set(row.business_id, [...(live.get(row.business_id) ?? []), row.id]);
    const trigger = storedDefinition(row.definition).trigger;
    if (row.status !== "active" || trigger.type !== "segment") continue;
    const key = `${row.business_id}\u0000${trigger.segmentId}`;
    enrolling.set(key, [...(enrolling.get(key) ?? []), row.id]);
  }
  return { enrolling, live };
}

interface InFlight {
  id: string;
  journeyId: string;
  /** The entry segment of the version it entered with; null for other triggers. */
  entrySegment: string | null;
}

/**
 * The in-flight enrollments in live journeys of the customers who left a segment, by business
 * and customer, each with the entry segment of its own version. That version's trigger, not
 * the journey's current one, decides which `left` exits it: a paused journey's trigger may
 * have been edited since the customer entered, and they exit when they leave the segment they
 * entered through (DESIGN §1). One set read per business; published versions come from the
 * engine's definition cache.
 */
async function inFlightEnrollments(
  db: Db,
  left: LogRow[],
  live: Map<string, string[]>,
  definitions: DefinitionCache,
): Promise<Map<string, InFlight[]>> {
  const out = new Map<string, InFlight[]>();
  const customersOf = new Map<string, Set<string>>();
  for (const e of left)
    if (live.has(e.business_id))
      customersOf.set(e.business_id, (customersOf.get(e.business_id) ?? new Set()).add(e.customer_id));
  for (const [businessId, customers] of customersOf) {
    const rows = await db
      .selectFrom("enrollments")
      .select(["id", "journey_id", "version", "customer_id"])
      .where("business_id", "=", businessId)
      .where("customer_id", "in", [...customers])
      .where("journey_id", "in", live.get(businessId)!)
      .where("state", "!=", "exited")
      .execute();
    const entrySegment = new Map<string, string | null>();
    for (const e of rows) {
      const key = `${e.journey_id}\u0000${Number(e.version)}`;
      if (entrySegment.has(key)) continue;
      const trigger = (await definitions.get(db, businessId, e.journey_id, Number(e.version)))?.trigger;
      entrySegment.set(key, trigger?.type === "segment" ? trigger.segmentId : null);
    }
    for (const e of rows) {
      const key = `${businessId}\u0000${e.customer_id}`;
      const entry: InFlight = {
        id: e.id,
        journeyId: e.journey_id,
        entrySegment: entrySegment.get(`${e.journey_id}\u0000${Number(e.version)}`) ?? null,
      };
      const mine = out.get(key);
      if (mine) mine.push(entry);
      else out.set(key, [entry]);
    }
  }
  return out;
}
