import { type Condition, DAY_MS, evaluate, eventConditionKey } from "@journeys/core";
import { type Customer, factsOf } from "../customers/customer";
import type { CustomerWriter } from "../customers/writer";
import { counterId, type SegmentCatalog } from "./catalog";

/** The joins and leaves one re-evaluation wrote (and logged as membership events). */
export interface MembershipDelta {
  joined: string[];
  left: string[];
}

/**
 * Re-evaluates `segmentIds` (in the order given: dependencies first) for one customer and
 * writes every change: the member row and a `joined` / `left` membership event, in the
 * writer's transaction. Manual lists (rule null) are left as they are.
 *
 * The evaluator is synchronous; the event counts its rules need are fetched first.
 */
export async function reevaluateCustomer(
  w: CustomerWriter,
  catalog: SegmentCatalog,
  customer: Customer,
  segmentIds: readonly string[],
  now: number,
  emailOptOut: boolean,
): Promise<MembershipDelta> {
  const delta: MembershipDelta = { joined: [], left: [] };
  if (segmentIds.length === 0) return delta;
  const members = await w.memberships(customer.id);
  const counts = new Map<string, number>();
  for (const id of segmentIds) {
    const rule = catalog.segments.get(id)?.rule;
    if (!rule) continue;
    for (const { key, since } of countsNeeded(rule, now)) {
      const at = `${key}\u0000${since}`;
      if (!counts.has(at)) counts.set(at, await w.countHits(customer.id, counterId(key), since));
    }
  }
  const facts = factsOf(customer);
  const ctx = {
    countEvents: (key: string, since: number | null) => counts.get(`${key}\u0000${since}`) ?? 0,
    isMember: (segmentId: string) => members.has(segmentId),
    emailOptOut,
  };
  for (const id of segmentIds) {
    const rule = catalog.segments.get(id)?.rule;
    if (!rule) continue;
    const inside = evaluate(rule, facts, ctx, now);
    if (inside && !members.has(id)) {
      await w.join(id, customer.id, now);
      members.add(id);
      delta.joined.push(id);
    } else if (!inside && members.has(id)) {
      await w.leave(id, customer.id, now);
      members.delete(id);
      delta.left.push(id);
    }
  }
  return delta;
}

/** The (counter key, since) pairs a rule's event conditions will ask for at `now`. */
export function countsNeeded(rule: Condition, now: number): { key: string; since: number | null }[] {
  const out: { key: string; since: number | null }[] = [];
  const walk = (c: Condition): void => {
    if ("all" in c) c.all.forEach(walk);
    else if ("any" in c) c.any.forEach(walk);
    else if ("not" in c) walk(c.not);
    else if ("event" in c) {
      out.push({
        key: eventConditionKey(c),
        since: c.withinDays === undefined ? null : now - c.withinDays * DAY_MS,
      });
    }
  };
  walk(rule);
  return out;
}
