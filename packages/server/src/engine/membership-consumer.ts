import { sql } from "kysely";
import { storedDefinition } from "../journeys/journey";
import type { Resources } from "../resources";

type Db = Resources["store"]["db"];

const CURSOR = "membership_events";

/**
 * Reads the membership log (joined / left) from where it last stopped and turns it into engine
 * work for segment-triggered journeys: `joined` → enter (active journeys only), `left` →
 * left_segment (active or paused: in-flight customers exit at once either way). The cursor
 * moves in the same transaction, so each log row becomes work exactly once.
 *
 * SQLite reads in `seq` order: one writer, so seq order is commit order. PostgreSQL reads in
 * (txid, seq) order, and only rows of transactions older than every one still running: a seq
 * taken by a long transaction commits after higher ones, and a seq cursor stepped over it.
 */
export async function consumeMemberships(r: Resources, options: { limit: number }): Promise<number> {
  const postgres = r.store.dialect === "postgres";
  return r.store.db.transaction().execute(async (trx) => {
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

    const journeys = await segmentJourneys(trx, [...new Set(usable.map((e) => e.business_id))]);
    const now = r.clock.now();
    const work = [];
    for (const event of usable) {
      for (const journey of journeys.get(`${event.business_id}\u0000${event.segment_id}`) ?? []) {
        if (event.change === "joined" && journey.status !== "active") continue;
        work.push({
          business_id: event.business_id,
          kind: event.change === "joined" ? "enter" : "left_segment",
          journey_id: journey.id,
          customer_id: event.customer_id,
          enrollment_id: null,
          run_at: now,
          payload: null,
          created_at: now,
        });
      }
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

/** Active and paused segment-triggered journeys, by business and entry segment. */
async function segmentJourneys(db: Db, businessIds: string[]) {
  const rows = await db
    .selectFrom("journeys")
    .select(["business_id", "id", "status", "definition"])
    .where("business_id", "in", businessIds)
    .where("status", "in", ["active", "paused"])
    .execute();
  const out = new Map<string, { id: string; status: string }[]>();
  for (const row of rows) {
    const trigger = storedDefinition(row.definition).trigger;
    if (trigger.type !== "segment") continue;
    const key = `${row.business_id}\u0000${trigger.segmentId}`;
    out.set(key, [...(out.get(key) ?? []), { id: row.id, status: row.status }]);
  }
  return out;
}
