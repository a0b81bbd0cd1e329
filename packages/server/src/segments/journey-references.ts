import { type JourneyDefinition, splitSegmentIds } from "@journeys/core";
import type { Kysely } from "kysely";
import { storedDefinition } from "../journeys/journey";
import type { Database } from "../store/schema";

/** A journey named in a refusal: enough for a person to find it. */
export interface JourneyReference {
  id: string;
  name: string;
}

/**
 * The journeys that are not archived and whose draft or any published version names
 * `segmentId` as its entry trigger or in a split, in id order. A published version counts even
 * when the draft no longer names the segment: customers who entered on it are still in flight
 * there, and the engine still asks about (or exits them on) that segment. An archived journey
 * has no one in flight and never runs again.
 *
 * @example
 *   const using = await journeysUsingSegment(trx, businessId, "seg_vip");
 *   // → [{ id: "jrn_…", name: "Welcome series" }]
 */
export async function journeysUsingSegment(
  db: Kysely<Database>,
  businessId: string,
  segmentId: string,
): Promise<JourneyReference[]> {
  const journeys = await db
    .selectFrom("journeys")
    .select(["id", "name", "definition"])
    .where("business_id", "=", businessId)
    .where("status", "!=", "archived")
    .orderBy("id")
    .execute();
  if (journeys.length === 0) return [];
  const versions = await db
    .selectFrom("journey_versions as v")
    .innerJoin("journeys as j", (join) =>
      join.onRef("j.business_id", "=", "v.business_id").onRef("j.id", "=", "v.journey_id"),
    )
    .select(["v.journey_id", "v.definition"])
    .where("v.business_id", "=", businessId)
    .where("j.status", "!=", "archived")
    .execute();
  const using = new Set<string>();
  const definitions = [
    ...journeys.map((j) => ({ journeyId: j.id, definition: j.definition })),
    ...versions.map((v) => ({ journeyId: v.journey_id, definition: v.definition })),
  ];
  for (const { journeyId, definition } of definitions) {
    if (!using.has(journeyId) && namesSegment(storedDefinition(definition), segmentId)) using.add(journeyId);
  }
  return journeys.filter((j) => using.has(j.id)).map((j) => ({ id: j.id, name: j.name }));
}

function namesSegment(definition: JourneyDefinition, segmentId: string): boolean {
  const { trigger } = definition;
  if (trigger.type === "segment" && trigger.segmentId === segmentId) return true;
  return splitSegmentIds(definition).includes(segmentId);
}
