/**
 * What a rule reads, so incremental membership knows which changes can flip it. The contract:
 * if none of these change (and, when `timeRelative` is false, whatever the time), `evaluate`
 * gives the same answer — property tests hold this module to it.
 *
 * @example
 *   const deps = dependencies(rule);
 *   if (changedAttributes.some((name) => deps.attributes.has(name))) reevaluate();
 *   for (const [key, selector] of deps.eventKeys) store.ensureCounter(key, selector);
 */
import type { Channel, Condition, EventCondition } from "./condition";
import { eventConditionKey } from "./events";
import { isDateOnly } from "./ops";

export interface RuleDependencies {
  /** Attribute names read, built-in (`email`, `phone`, `timezone`, `locale`, `userId`) or custom. */
  attributes: Set<string>;
  /** Event counters read, by `eventConditionKey`; the first condition seen for each key. */
  eventKeys: Map<string, EventCondition>;
  subscriptions: Set<Channel>;
  /** Segment ids read through `inSegment` (directly; the segment graph adds the transitive ones). */
  segments: Set<string>;
  /**
   * True when membership can change with only time passing: a `withinDays` window, or a
   * `withinLastDays` / `anniversaryToday` attribute op. Such segments need a periodic sweep as
   * well as change-driven re-evaluation. `before` / `after` are not: they compare the attribute
   * with a fixed date, so only a change of the attribute can flip them.
   */
  timeRelative: boolean;
}

const TIME_OPS = new Set(["withinLastDays", "anniversaryToday"]);

/** Everything `condition` reads. */
export function dependencies(condition: Condition): RuleDependencies {
  const deps: RuleDependencies = {
    attributes: new Set(),
    eventKeys: new Map(),
    subscriptions: new Set(),
    segments: new Set(),
    timeRelative: false,
  };
  collect(condition, deps);
  return deps;
}

function collect(condition: Condition, deps: RuleDependencies): void {
  if ("all" in condition) for (const c of condition.all) collect(c, deps);
  else if ("any" in condition) for (const c of condition.any) collect(c, deps);
  else if ("not" in condition) collect(condition.not, deps);
  else if ("subscribed" in condition) deps.subscriptions.add(condition.subscribed);
  else if ("inSegment" in condition) deps.segments.add(condition.inSegment);
  else if ("event" in condition) {
    const key = eventConditionKey(condition);
    if (!deps.eventKeys.has(key)) deps.eventKeys.set(key, condition);
    if (condition.withinDays !== undefined) deps.timeRelative = true;
  } else {
    deps.attributes.add(condition.attribute);
    if (TIME_OPS.has(condition.op)) deps.timeRelative = true;
    // "Today" is the customer's today, and a date-only bound is a day of their calendar:
    // moving time zone can move an anniversary, a window or a date comparison.
    if (readsCalendar(condition)) deps.attributes.add("timezone");
  }
}

const DAY_OPS = new Set(["before", "after", "gt", "gte", "lt", "lte"]);

/** Does this attribute test read the customer's time zone (see `testValue`)? */
function readsCalendar(condition: { op: string; value?: unknown }): boolean {
  if (condition.op === "anniversaryToday" || condition.op === "withinLastDays") return true;
  return DAY_OPS.has(condition.op) && isDateOnly(condition.value);
}
