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

/** Records today's size of every segment that has none yet: once per UTC day per segment. */
export async function recordDailySizes(
  db: Kysely<Database>,
  businessId: string,
  segmentIds: readonly string[],
  now: number,
): Promise<number> {
  const recorded = await db
    .selectFrom("segment_sizes")
    .select("segment_id")
    .where("business_id", "=", businessId)
    .where("day", "=", utcDay(now))
    .execute();
  const done = new Set(recorded.map((r) => r.segment_id));
  const missing = segmentIds.filter((id) => !done.has(id));
  if (missing.length === 0) return 0;
  const counts = await memberCounts(db, businessId);
  await recordSizes(db, businessId, new Map(missing.map((id) => [id, counts.get(id) ?? 0])), now);
  return missing.length;
}

export interface SizePoint {
  /** The UTC date, YYYY-MM-DD. */
  date: string;
  size: number;
}

/** Recorded sizes of the last `days` UTC days (today included), oldest first. */
export async function sizeHistory(
  db: Kysely<Database>,
  businessId: string,
  segmentId: string,
  days: number,
  now: number,
): Promise<SizePoint[]> {
  const rows = await db
    .selectFrom("segment_sizes")
    .select(["day", "size"])
    .where("business_id", "=", businessId)
    .where("segment_id", "=", segmentId)
    .where("day", ">", utcDay(now) - days)
    .orderBy("day")
    .execute();
  return rows.map((r) => ({
    date: new Date(Number(r.day) * DAY_MS).toISOString().slice(0, 10),
    size: Number(r.size),
  }));
}
