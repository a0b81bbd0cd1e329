import type { Condition } from "@journeys/core";
import { sql } from "kysely";
import { newId } from "../ids";
import type { Store } from "../store/store";

/**
 * Writes rule segments straight into the store and bumps the business's `segments_version`, so
 * the write path's cached catalog picks them up — set-up for tests and benchmarks that exercise
 * ingestion, not the segments API. Returns the new ids, in order.
 *
 * @example const [viewedTwice] = await insertSegments(store, businessId, [{ name: "Viewed twice", rule: { event: "Viewed", op: "atLeast", count: 2 } }]);
 */
export async function insertSegments(
  store: Store,
  businessId: string,
  segments: readonly { name: string; rule: Condition }[],
): Promise<string[]> {
  const now = Date.now();
  const ids = segments.map(() => newId("seg"));
  await store.db
    .insertInto("segments")
    .values(
      segments.map((segment, i) => ({
        business_id: businessId,
        id: ids[i]!,
        name: segment.name,
        rule: JSON.stringify(segment.rule),
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  await store.db
    .updateTable("businesses")
    .set({ segments_version: sql`segments_version + 1` })
    .where("id", "=", businessId)
    .execute();
  return ids;
}
