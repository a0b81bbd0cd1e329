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
    let q = trx.selectFrom("membership_events").selectAll().limit(options.limit);
    q = postgres
      ? q
          .where(sql<boolean>`(txid, seq) > (${cursor.txid}, ${cursor.position})`)
          .where("txid", "<", finishedBelow)
          .orderBy("txid")
          .orderBy("seq")
      : q.where("seq", ">", cursor.position).orderBy("seq");
    const usable = await q.execute();
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

/** Where the log was last read to: (txid, seq) on PostgreSQL, seq on SQLite (txid 0). */
export async function membershipCursor(db: Db): Promise<{ position: number; txid: number }> {
  const row = await db
    .selectFrom("engine_cursors")
    .select(["position", "txid"])
    .where("name", "=", CURSOR)
    .executeTakeFirst();
  return { position: Number(row?.position ?? 0), txid: Number(row?.txid ?? 0) };
}

async function lockCursor(db: Db, postgres: boolean): Promise<{ position: number; txid: number }> {
  await db
    .insertInto("engine_cursors")
    .values({ name: CURSOR, position: 0 })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  let q = db.selectFrom("engine_cursors").select(["position", "txid"]).where("name", "=", CURSOR);
  if (postgres) q = q.forUpdate();
  const row = await q.executeTakeFirstOrThrow();
  return { position: Number(row.position), txid: Number(row.txid) };
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
