import { DAY_MS } from "@journeys/core";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";

/** The UTC day number `segment_sizes.day` uses. */
export const utcDay = (ms: number): number => Math.floor(ms / DAY_MS);

/** Members per segment of the business (segments without members are absent). */
export async function memberCounts(db: Kysely<Database>, businessId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("segment_members")
    .select((eb) => ["segment_id", eb.fn.countAll<number>().as("n")])
    .where("business_id", "=", businessId)
    .groupBy("segment_id")
    .execute();
  return new Map(rows.map((r) => [r.segment_id, Number(r.n)]));
}

/** Records (or overwrites) today's size of each segment given. */
export async function recordSizes(
  db: Kysely<Database>,
  businessId: string,
  sizes: ReadonlyMap<string, number>,
  now: number,
): Promise<void> {
  const day = utcDay(now);
  for (const [segmentId, size] of sizes) {
    await db
      .insertInto("segment_sizes")
      .values({ business_id: businessId, segment_id: segmentId, day, size })
      .onConflict((oc) => oc.columns(["business_id", "segment_id", "day"]).doUpdateSet({ size }))
      .execute();
  }
}

/**
 * Brings today's recorded size of each segment in line with its members now, writing only the
 * rows that are missing or differ; returns how many it wrote. Joins and leaves on the write path
 * (ingestion, API edits, imports) do not touch `segment_sizes`, so the sweep does it: each day's
 * row ends the day at (about) the size the segment had when the day ended.
 */
export async function recordDailySizes(
  db: Kysely<Database>,
  businessId: string,
  segmentIds: readonly string[],
  now: number,
): Promise<number> {
  const recorded = await db
    .selectFrom("segment_sizes")
    .select(["segment_id", "size"])
    .where("business_id", "=", businessId)
    .where("day", "=", utcDay(now))
    .execute();
  const today = new Map(recorded.map((r) => [r.segment_id, Number(r.size)]));
  const counts = await memberCounts(db, businessId);
  const changed = new Map<string, number>();
  for (const id of segmentIds) {
    const size = counts.get(id) ?? 0;
    if (today.get(id) !== size) changed.set(id, size);
  }
  await recordSizes(db, businessId, changed, now);
  return changed.size;
}

export interface SizePoint {
  /** The UTC date, YYYY-MM-DD. */
  date: string;
  size: number;
}

const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * Sizes of the last `days` UTC days, oldest first: each past day as recorded (by the sweep and by
 * recomputes), today as the members now — a recorded row may be up to a sweep behind.
 */
export async function sizeHistory(
  db: Kysely<Database>,
  businessId: string,
  segmentId: string,
  days: number,
  now: number,
): Promise<SizePoint[]> {
  const today = utcDay(now);
  const rows = await db
    .selectFrom("segment_sizes")
    .select(["day", "size"])
    .where("business_id", "=", businessId)
    .where("segment_id", "=", segmentId)
    .where("day", ">", today - days)
    .where("day", "<", today)
    .orderBy("day")
    .execute();
  const live = await db
    .selectFrom("segment_members")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("business_id", "=", businessId)
    .where("segment_id", "=", segmentId)
    .executeTakeFirstOrThrow();
  return [
    ...rows.map((r) => ({ date: dateOf(Number(r.day)), size: Number(r.size) })),
    { date: dateOf(today), size: Number(live.n) },
  ];
}
