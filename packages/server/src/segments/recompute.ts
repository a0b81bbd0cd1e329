import {
  type Channel,
  type Condition,
  dependencies,
  type EvaluationContext,
  type EventCondition,
  evaluate,
  eventConditionKey,
  type Segment,
  windowStart,
} from "@journeys/core";
import { counterId } from "./catalog";
import { eventNeeds } from "./membership";
import { prefilterOfAny } from "./prefilter";
import type { CountWindow, MembershipScan, ScanNeeds, ScannedCustomer } from "./scan";

/**
 * Full recompute: membership of whole segments over every customer of a business, in one pass.
 *
 *   load      current members of the segments recomputed and of those they read (inSegment)
 *   scan      every customer once, in id order, with its count of each (counter, window) the
 *             rules read; each rule evaluated with core `evaluate`, in graph order, so a
 *             dependent reads its dependency's fresh membership
 *   diff      next vs current members, in memory
 *   write     only the diff: member rows plus `joined` / `left` membership events at `now`
 *
 * The same evaluation serves a preview (`evaluateRules` without the write).
 */

/** How one segment's membership changed. */
export interface SegmentDelta {
  size: number;
  joined: string[];
  left: string[];
}

/**
 * Per-customer counts of the events behind one counter since a time (null: ever), for a
 * counter that keeps no stored hits yet (a preview's); null when it does, and the scan counts
 * them.
 */
export type CountLoader = (
  key: string,
  selector: EventCondition,
  since: number | null,
) => Promise<Map<string, number> | null>;

interface Evaluation {
  /** Members after evaluation, by segment id (for the rules evaluated). */
  next: Map<string, Set<string>>;
}

/**
 * Evaluates `rules` (in graph order) for every customer. `fixed` holds the memberships of
 * segments the rules read but that are not themselves evaluated (manual lists, or segments
 * whose membership is not in question). Event counts come from the counters' stored hits,
 * except those `loadCounts` gives.
 */
export async function evaluateRules(
  scan: MembershipScan,
  rules: readonly (readonly [string, Condition])[],
  fixed: ReadonlyMap<string, ReadonlySet<string>>,
  now: number,
  emailOptOut: boolean,
  loadCounts: CountLoader = async () => null,
): Promise<Evaluation> {
  const attributes = new Set<string>();
  const channels = new Set<Channel>();
  const windows: CountWindow[] = [];
  // counter key → window start → the scan's window (its index) or the counts given
  const sources = new Map<string, Map<number | null, number | Map<string, number>>>();
  for (const [, rule] of rules) {
    const deps = dependencies(rule);
    for (const name of deps.attributes) attributes.add(name);
    for (const channel of deps.subscriptions) channels.add(channel);
    for (const { key, counter, selector, withinDays } of eventNeeds(rule)) {
      const since = windowStart(withinDays, now);
      const byWindow = sources.get(key) ?? new Map<number | null, number | Map<string, number>>();
      sources.set(key, byWindow);
      if (byWindow.has(since)) continue;
      const given = await loadCounts(key, selector, since);
      byWindow.set(since, given ?? windows.push({ counter, since }) - 1);
    }
  }

  const next = new Map<string, Set<string>>(rules.map(([id]) => [id, new Set<string>()]));
  let customer: ScannedCustomer | undefined;
  const ctx: EvaluationContext = {
    countEvents: (key, since) => {
      const source = sources.get(key)?.get(since);
      if (source === undefined) return 0;
      return typeof source === "number" ? customer!.counts[source]! : (source.get(customer!.id) ?? 0);
    },
    isMember: (segmentId) => (next.get(segmentId) ?? fixed.get(segmentId))?.has(customer!.id) ?? false,
    emailOptOut,
  };
  const evaluated = rules.map(([id, rule]) => [next.get(id)!, rule] as const);
  const needs: ScanNeeds = {
    attributes: [...attributes],
    subscriptions: [...channels],
    counts: windows,
    // A customer no rule can match is in no `next` set, which is what skipping it leaves.
    prefilter: prefilterOfAny(
      rules.map(([, rule]) => rule),
      {
        emailOptOut,
        now,
        counter: (condition) => {
          const key = eventConditionKey(condition);
          // Only a window the scan counts from stored hits (not one `loadCounts` gave).
          const source = sources.get(key)?.get(windowStart(condition.withinDays, now));
          return typeof source === "number" ? counterId(key) : null;
        },
      },
    ),
  };
  await scan.customers(needs, (scanned) => {
    customer = scanned;
    for (const [members, rule] of evaluated) {
      if (evaluate(rule, scanned.facts, ctx, now)) members.add(scanned.id);
    }
  });
  return { next };
}

/**
 * Recomputes the segments `ids` (in graph order; manual lists are skipped) over every customer
 * and writes the difference. A segment later in `ids` that reads an earlier one through
 * `inSegment` sees its new membership.
 *
 * @example
 *   const ids = [segmentId, ...affectedSegments(index, { segments: [segmentId] })];
 *   const deltas = await recomputeSegments(scan, catalog.segments, ids, now, emailOptOut);
 */
export async function recomputeSegments(
  scan: MembershipScan,
  segments: ReadonlyMap<string, Segment>,
  ids: readonly string[],
  now: number,
  emailOptOut: boolean,
): Promise<Map<string, SegmentDelta>> {
  const rules = ids.flatMap((id) => {
    const rule = segments.get(id)?.rule;
    return rule ? [[id, rule] as const] : [];
  });
  const current = new Map<string, Set<string>>();
  for (const [id] of rules) current.set(id, await scan.members(id));
  const fixed = new Map<string, Set<string>>();
  for (const [, rule] of rules) {
    for (const read of dependencies(rule).segments) {
      if (!current.has(read) && !fixed.has(read)) fixed.set(read, await scan.members(read));
    }
  }
  const { next } = await evaluateRules(scan, rules, fixed, now, emailOptOut);

  const deltas = new Map<string, SegmentDelta>();
  for (const [id] of rules) {
    const before = current.get(id)!;
    const after = next.get(id)!;
    const joined: string[] = [];
    for (const customerId of after) if (!before.has(customerId)) joined.push(customerId);
    const left: string[] = [];
    for (const customerId of before) if (!after.has(customerId)) left.push(customerId);
    deltas.set(id, {
      size: after.size,
      joined: await scan.join(id, joined, now),
      left: await scan.leave(id, left, now),
    });
  }
  return deltas;
}
