import { storedDefinition } from "../journeys/journey";
import type { Resources } from "../resources";

type Db = Resources["store"]["db"];

const CURSOR = "membership_events";
/** On PostgreSQL a sequence number can commit after a higher one; wait this long for a gap. */
const GAP_GRACE_MS = 2_000;

/**
 * Reads the membership log (joined / left, in `seq` order) from where it last stopped and turns
 * it into engine work for segment-triggered journeys: `joined` → enter (active journeys only),
 * `left` → left_segment (active or paused: in-flight customers exit at once either way). The
 * cursor moves in the same transaction, so each log row becomes work exactly once.
 */
export async function consumeMemberships(r: Resources, options: { limit: number }): Promise<number> {
  return r.store.db.transaction().execute(async (trx) => {
    const position = await lockCursor(trx, r.store.dialect === "postgres");
    const events = await trx
      .selectFrom("membership_events")
      .selectAll()
      .where("seq", ">", position)
      .orderBy("seq")
      .limit(options.limit)
      .execute();
    if (events.length === 0) return 0;

    let last = position;
    const usable: typeof events = [];
    for (const event of events) {
      const seq = Number(event.seq);
      // A gap may be a transaction still committing: stop there unless it is old enough to be a rollback.
      if (
        r.store.dialect === "postgres" &&
        seq !== last + 1 &&
        Date.now() - Number(event.at) < GAP_GRACE_MS &&
        last !== 0
      )
        break;
      usable.push(event);
      last = seq;
    }
    if (usable.length === 0) return 0;

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
    await trx.updateTable("engine_cursors").set({ position: last }).where("name", "=", CURSOR).execute();
    return usable.length;
  });
}

async function lockCursor(db: Db, postgres: boolean): Promise<number> {
  await db
    .insertInto("engine_cursors")
    .values({ name: CURSOR, position: 0 })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  let q = db.selectFrom("engine_cursors").select("position").where("name", "=", CURSOR);
  if (postgres) q = q.forUpdate();
  return Number((await q.executeTakeFirstOrThrow()).position);
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
