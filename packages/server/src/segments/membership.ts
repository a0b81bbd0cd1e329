import {
  type Condition,
  type EventCondition,
  evaluate,
  eventConditionKey,
  windowStart,
} from "@journeys/core";
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
  // Every window a rule asks of a counter, so each counter is read once for all of them, and
  // the most hits any of its conditions needs to see: a count above every threshold decides
  // as the exact count would.
  const windows = new Map<string, { key: string; sinces: Set<number | null>; cap: number }>();
  for (const id of segmentIds) {
    const rule = catalog.segments.get(id)?.rule;
    if (!rule) continue;
    for (const need of eventNeeds(rule)) {
      const since = windowStart(need.withinDays, now);
      const entry = windows.get(need.counter) ?? { key: need.key, sinces: new Set(), cap: 0 };
      entry.sinces.add(since);
      entry.cap = Math.max(entry.cap, need.selector.count + 1);
      windows.set(need.counter, entry);
    }
  }
  const counts = new Map<string, number>();
  for (const [counter, { key, sinces, cap }] of windows) {
    const list = [...sinces];
    const found = await w.countHits(customer.id, counter, list, cap);
    for (const [i, since] of list.entries()) counts.set(`${key}\u0000${since}`, found[i]!);
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

/** An event condition's counter and window, as a rule will ask for it. */
export interface EventNeed {
  key: string;
  counter: string;
  selector: EventCondition;
  withinDays: number | undefined;
}

// Parsed rules are immutable and live as long as their catalog: compute their needs once
// (hashing a counter key per event was a measurable share of ingestion time).
const needsOf = new WeakMap<Condition, EventNeed[]>();

/** The event counters (and windows) a rule's event conditions read; cached per rule. */
export function eventNeeds(rule: Condition): EventNeed[] {
  const cached = needsOf.get(rule);
  if (cached) return cached;
  const out: EventNeed[] = [];
  const walk = (c: Condition): void => {
    if ("all" in c) c.all.forEach(walk);
    else if ("any" in c) c.any.forEach(walk);
    else if ("not" in c) walk(c.not);
    else if ("event" in c) {
      const key = eventConditionKey(c);
      out.push({ key, counter: counterId(key), selector: c, withinDays: c.withinDays });
    }
  };
  walk(rule);
  needsOf.set(rule, out);
  return out;
}

const capsOf = new WeakMap<SegmentCatalog, Map<string, number>>();

/** Every counter the catalog's rules read → the most hits any of them needs to see (count + 1). */
export function counterCaps(catalog: SegmentCatalog): ReadonlyMap<string, number> {
  const cached = capsOf.get(catalog);
  if (cached) return cached;
  const caps = new Map<string, number>();
  for (const segment of catalog.segments.values()) {
    if (!segment.rule) continue;
    for (const need of eventNeeds(segment.rule))
      caps.set(need.counter, Math.max(caps.get(need.counter) ?? 0, need.selector.count + 1));
  }
  capsOf.set(catalog, caps);
  return caps;
}
