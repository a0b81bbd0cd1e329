import {
  type Channel,
  type Condition,
  DAY_MS,
  dependencies,
  type EvaluationContext,
  type EventCondition,
  evaluate,
  eventConditionKey,
  type Segment,
} from "@journeys/core";
import { counterId } from "./catalog";
import type { MembershipScan, ScanNeeds } from "./scan";

/**
 * Full recompute: membership of whole segments over every customer of a business, in one pass.
 *
 *   load      counts per (counter, window) — one grouped query each, not one per customer
 *             current members of the segments recomputed and of those they read (inSegment)
 *   scan      every customer once, in id order; each rule evaluated with core `evaluate`, in
 *             graph order, so a dependent reads its dependency's fresh membership
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

/** Loads per-customer counts of the events behind one counter since a time (null: ever). */
export type CountLoader = (
  key: string,
  selector: EventCondition,
  since: number | null,
) => Promise<Map<string, number>>;

/** Counts from the counter's hits: what saved segments read (their counters are backfilled). */
export const hitCounts =
  (scan: MembershipScan): CountLoader =>
  (key, _selector, since) =>
    scan.hitCounts(counterId(key), since);

interface Evaluation {
  /** Members after evaluation, by segment id (for the rules evaluated). */
  next: Map<string, Set<string>>;
}

/**
 * Evaluates `rules` (in graph order) for every customer. `fixed` holds the memberships of
 * segments the rules read but that are not themselves evaluated (manual lists, or segments
 * whose membership is not in question).
 */
export async function evaluateRules(
  scan: MembershipScan,
  rules: readonly (readonly [string, Condition])[],
  fixed: ReadonlyMap<string, ReadonlySet<string>>,
  loadCounts: CountLoader,
  now: number,
  emailOptOut: boolean,
): Promise<Evaluation> {
  const attributes = new Set<string>();
  const channels = new Set<Channel>();
  // counter key → window start (null: ever) → customer → count
  const counts = new Map<string, Map<number | null, Map<string, number>>>();
  for (const [, rule] of rules) {
    const deps = dependencies(rule);
    for (const name of deps.attributes) attributes.add(name);
    for (const channel of deps.subscriptions) channels.add(channel);
    for (const { key, selector, since } of eventWindows(rule, now)) {
      const byWindow = counts.get(key) ?? new Map<number | null, Map<string, number>>();
      counts.set(key, byWindow);
      if (!byWindow.has(since)) byWindow.set(since, await loadCounts(key, selector, since));
    }
  }

  const next = new Map<string, Set<string>>(rules.map(([id]) => [id, new Set<string>()]));
  let customerId = "";
  const ctx: EvaluationContext = {
    countEvents: (key, since) => counts.get(key)?.get(since)?.get(customerId) ?? 0,
    isMember: (segmentId) => (next.get(segmentId) ?? fixed.get(segmentId))?.has(customerId) ?? false,
    emailOptOut,
  };
  const evaluated = rules.map(([id, rule]) => [next.get(id)!, rule] as const);
  const needs: ScanNeeds = { attributes: [...attributes], subscriptions: [...channels] };
  await scan.customers(needs, ({ id, facts }) => {
    customerId = id;
    for (const [members, rule] of evaluated) {
      if (evaluate(rule, facts, ctx, now)) members.add(id);
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
  const { next } = await evaluateRules(scan, rules, fixed, hitCounts(scan), now, emailOptOut);

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

/** The (counter key, window start) pairs a rule's event conditions read at `now`. */
function eventWindows(
  rule: Condition,
  now: number,
): { key: string; selector: EventCondition; since: number | null }[] {
  const out: { key: string; selector: EventCondition; since: number | null }[] = [];
  const walk = (c: Condition): void => {
    if ("all" in c) c.all.forEach(walk);
    else if ("any" in c) c.any.forEach(walk);
    else if ("not" in c) walk(c.not);
    else if ("event" in c) {
      const since = c.withinDays === undefined ? null : now - c.withinDays * DAY_MS;
      out.push({ key: eventConditionKey(c), selector: c, since });
    }
  };
  walk(rule);
  return out;
}
