import { dependencies, type EventCondition, eventMatches, type Segment } from "@journeys/core";
import { writeJson } from "../store/json";
import { counterId } from "./catalog";
import type { EventHit, MembershipScan } from "./scan";

/** Every event counter the segments read: counter key → a condition with that key. */
export function countersRead(segments: readonly Segment[]): Map<string, EventCondition> {
  const keys = new Map<string, EventCondition>();
  for (const segment of segments) {
    if (!segment.rule) continue;
    for (const [key, selector] of dependencies(segment.rule).eventKeys) {
      if (!keys.has(key)) keys.set(key, selector);
    }
  }
  return keys;
}

/** The business's stored track events that `selector` counts. */
export async function matchingEvents(scan: MembershipScan, selector: EventCondition): Promise<EventHit[]> {
  const hits: EventHit[] = [];
  await scan.trackEvents(selector.event, (event) => {
    if (eventMatches(selector, { name: selector.event, properties: event.properties })) {
      hits.push({ customerId: event.customerId, eventId: event.eventId, timestamp: event.timestamp });
    }
  });
  return hits;
}

/**
 * Brings `counters` and `event_hits` in line with a change of the segment set, in the
 * change's transaction. A counter a rule starts to read is created and backfilled from the
 * business's stored events, so "purchased 3 times ever" counts history, not just what
 * arrives after the save. A counter no rule reads any more is dropped with its hits: the
 * write path stops bumping it, so its hits would go stale (and are rebuilt if it returns).
 */
export async function syncCounters(
  scan: MembershipScan,
  before: readonly Segment[],
  after: readonly Segment[],
  now: number,
): Promise<{ added: string[]; dropped: string[] }> {
  const read = countersRead(before);
  const reads = countersRead(after);
  const added: string[] = [];
  const dropped: string[] = [];
  for (const [key, selector] of reads) {
    if (read.has(key)) continue;
    const id = counterId(key);
    await scan.deleteCounter(id); // hits left behind by an edit racing the write path
    await scan.db
      .insertInto("counters")
      .values({
        business_id: scan.businessId,
        counter: id,
        selector: writeJson({ event: selector.event, where: selector.where ?? [] }),
        created_at: now,
      })
      .execute();
    await scan.insertHits(id, await matchingEvents(scan, selector));
    added.push(key);
  }
  for (const key of read.keys()) {
    if (reads.has(key)) continue;
    await scan.deleteCounter(counterId(key));
    dropped.push(key);
  }
  return { added, dropped };
}
