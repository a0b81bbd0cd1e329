/**
 * Segments that read other segments (`inSegment`) form a graph. It must be acyclic and closed
 * (every reference names a segment of the business), and membership is evaluated in its
 * topological order so a segment always sees its dependencies' fresh memberships.
 *
 * `indexSegments` precomputes, once per change of the business's segment set, which segments
 * read which attribute, event, subscription and segment; `affectedSegments` then answers
 * "what must be re-evaluated for this customer after this change?" in one linear pass over
 * the business's segments — cheap enough to run on every ingested event.
 *
 * @example
 *   const index = indexSegments(segments);
 *   if (!index.ok) return conflict(index.error); // segment_cycle / unknown_segment
 *   for (const id of affectedSegments(index.value, { events: ["Purchased"] })) {
 *     memberships.set(id, evaluate(rules.get(id), facts, ctx, now));
 *   }
 */
import { err, ok, type Result } from "../result";
import type { Channel, EventCondition, Segment } from "./condition";
import { dependencies, type RuleDependencies } from "./dependencies";

export type SegmentGraphProblem =
  | { code: "segment_cycle"; segmentId: string; cycle: string[]; message: string }
  | { code: "unknown_segment"; segmentId: string; reference: string; message: string }
  | { code: "duplicate_segment"; segmentId: string; message: string };

/** Precomputed reverse dependencies of a business's segments. Build with `indexSegments`. */
export interface SegmentIndex {
  /** Every segment id, each after the segments its rule reads. */
  order: readonly string[];
  /** Direct readers, by attribute name / event name / channel / segment id. */
  byAttribute: ReadonlyMap<string, readonly string[]>;
  byEvent: ReadonlyMap<string, readonly string[]>;
  bySubscription: ReadonlyMap<Channel, readonly string[]>;
  bySegment: ReadonlyMap<string, readonly string[]>;
  /** Segments whose membership can change with time alone (see `RuleDependencies`). */
  timeRelative: readonly string[];
  /**
   * Event counters the business's rules read: event name → counter key → a condition with that
   * key. The ingestion write path bumps, for an incoming event, the counters under its name
   * whose selector `eventMatches` it.
   */
  counters: ReadonlyMap<string, ReadonlyMap<string, EventCondition>>;
}

/** What changed for one customer. Names and ids nothing reads are ignored. */
export interface SegmentChange {
  attributes?: Iterable<string>;
  /** Names of events the customer performed (or that were deleted). */
  events?: Iterable<string>;
  subscriptions?: Iterable<Channel>;
  /** Segments whose membership of this customer changed (e.g. a manual list edit). */
  segments?: Iterable<string>;
  /** Time passed: include every time-relative segment (the periodic sweep). */
  time?: boolean;
}

/**
 * The segment ids in evaluation order: each after every segment its rule reads through
 * `inSegment`; otherwise in the order given. Refuses cycles and references to unknown segments.
 */
export function orderSegments(segments: readonly Segment[]): Result<string[], SegmentGraphProblem[]> {
  const reads = new Map<string, string[]>();
  const problems: SegmentGraphProblem[] = [];
  for (const segment of segments) {
    if (reads.has(segment.id)) {
      problems.push({
        code: "duplicate_segment",
        segmentId: segment.id,
        message: `Segment ${segment.id} appears twice.`,
      });
      continue;
    }
    reads.set(segment.id, segment.rule ? [...dependencies(segment.rule).segments] : []);
  }
  for (const [id, refs] of reads) {
    for (const reference of refs.filter((ref) => !reads.has(ref))) {
      problems.push({
        code: "unknown_segment",
        segmentId: id,
        reference,
        message: `Segment ${id} uses segment ${reference}, which does not exist.`,
      });
    }
  }

  // Iterative depth-first search (no recursion limit to hit); post-order is dependency order.
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  for (const start of reads.keys()) {
    if (state.has(start)) continue;
    const stack: { id: string; next: number }[] = [{ id: start, next: 0 }];
    state.set(start, "visiting");
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const refs = reads.get(frame.id) ?? [];
      const ref = refs[frame.next++];
      if (ref === undefined) {
        stack.pop();
        state.set(frame.id, "done");
        order.push(frame.id);
      } else if (state.get(ref) === "visiting") {
        const from = stack.findIndex((f) => f.id === ref);
        const cycle = [...stack.slice(from).map((f) => f.id), ref];
        problems.push({
          code: "segment_cycle",
          segmentId: frame.id,
          cycle,
          message: `Segments depend on each other in a loop: ${cycle.join(" → ")}.`,
        });
      } else if (reads.has(ref) && !state.has(ref)) {
        // Unknown references were reported above; finished ones are already in `order`.
        state.set(ref, "visiting");
        stack.push({ id: ref, next: 0 });
      }
    }
  }
  return problems.length > 0 ? err(problems) : ok(order);
}

function addTo<K>(map: Map<K, string[]>, key: K, id: string): void {
  const list = map.get(key);
  if (list) list.push(id);
  else map.set(key, [id]);
}

/** Orders the segments and indexes what each reads. Fails as `orderSegments` does. */
export function indexSegments(segments: readonly Segment[]): Result<SegmentIndex, SegmentGraphProblem[]> {
  const ordered = orderSegments(segments);
  if (!ordered.ok) return ordered;
  const deps = new Map<string, RuleDependencies>();
  for (const segment of segments) if (segment.rule) deps.set(segment.id, dependencies(segment.rule));

  const byAttribute = new Map<string, string[]>();
  const byEvent = new Map<string, string[]>();
  const bySubscription = new Map<Channel, string[]>();
  const bySegment = new Map<string, string[]>();
  const counters = new Map<string, Map<string, EventCondition>>();
  const timeRelative: string[] = [];
  // Walking in evaluation order keeps every list below in evaluation order too.
  for (const id of ordered.value) {
    const d = deps.get(id);
    if (!d) continue;
    for (const name of d.attributes) addTo(byAttribute, name, id);
    for (const channel of d.subscriptions) addTo(bySubscription, channel, id);
    for (const read of d.segments) addTo(bySegment, read, id);
    const eventNames = new Set<string>();
    for (const [key, condition] of d.eventKeys) {
      eventNames.add(condition.event);
      const byKey = counters.get(condition.event) ?? new Map<string, EventCondition>();
      if (!byKey.has(key)) byKey.set(key, condition);
      counters.set(condition.event, byKey);
    }
    for (const name of eventNames) addTo(byEvent, name, id);
    if (d.timeRelative) timeRelative.push(id);
  }
  return ok({
    order: ordered.value,
    byAttribute,
    byEvent,
    bySubscription,
    bySegment,
    timeRelative,
    counters,
  });
}

/**
 * The segments to re-evaluate after `change`, in evaluation order: those reading something that
 * changed, plus — transitively through `inSegment` — those reading them. Segments named in
 * `change.segments` are not themselves included (their membership is the news), unless
 * something else they read changed too. Callers that evaluate in this order may skip a
 * dependent whose dependencies' memberships all stayed the same; the list is a safe superset.
 */
export function affectedSegments(index: SegmentIndex, change: SegmentChange): string[] {
  const direct = new Set<string>();
  const add = (ids: readonly string[] | undefined) => {
    for (const id of ids ?? []) direct.add(id);
  };
  for (const name of change.attributes ?? []) add(index.byAttribute.get(name));
  for (const name of change.events ?? []) add(index.byEvent.get(name));
  for (const channel of change.subscriptions ?? []) add(index.bySubscription.get(channel));
  if (change.time) add(index.timeRelative);

  const changed = new Set<string>(change.segments ?? []);
  const affected: string[] = [];
  // One pass in evaluation order: a segment's readers always come later, so marking them as we
  // go reaches every transitive dependent exactly once.
  for (const id of index.order) {
    const reevaluate = direct.has(id);
    if (reevaluate) affected.push(id);
    if (reevaluate || changed.has(id)) {
      for (const reader of index.bySegment.get(id) ?? []) direct.add(reader);
    }
  }
  return affected;
}
