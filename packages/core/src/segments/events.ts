/**
 * Event conditions meet the event store through counters. A counter is identified by
 * `eventConditionKey`: the event name plus its `where` filters, written canonically so that
 * two rules asking about the same events share one counter however their filters are ordered.
 * `op`, `count` and `withinDays` are not part of the key: they are read from the counter.
 *
 * @example
 *   const key = eventConditionKey({ event: "Purchased", where: [{ property: "plan", op: "eq", value: "pro" }] });
 *   // '["Purchased",[["plan","eq","pro"]]]'
 *   eventMatches(cond, { name: "Purchased", properties: { plan: "pro" } }); // true → bump `key`
 */
import type { EventCondition, WhereFilter } from "./condition";
import { testValue } from "./ops";

/** The part of an event condition that decides which events it counts. */
export type EventSelector = Pick<EventCondition, "event" | "where">;

/** A tracked event, as the store's write path sees it. */
export interface TrackedEvent {
  name: string;
  properties: Record<string, unknown>;
}

/** One filter as a JSON-ready tuple; `in` lists are sorted and de-duplicated (their order is moot). */
function filterTuple(filter: WhereFilter): unknown[] {
  if (!("value" in filter)) return [filter.property, filter.op];
  if (filter.op !== "in") return [filter.property, filter.op, filter.value];
  const values = [...new Map(filter.value.map((v) => [JSON.stringify(v), v])).entries()];
  values.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [filter.property, filter.op, values.map(([, v]) => v)];
}

/**
 * A canonical, stable string for (event name + where filters). Filters are sorted and
 * de-duplicated, so the key does not depend on the order a marketer added them in.
 * The format is JSON and is persisted by the store: never change it without a migration.
 */
export function eventConditionKey(selector: EventSelector): string {
  const filters = new Map<string, unknown[]>();
  for (const filter of selector.where ?? []) {
    const tuple = filterTuple(filter);
    filters.set(JSON.stringify(tuple), tuple);
  }
  const sorted = [...filters.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([selector.event, sorted.map(([, tuple]) => tuple)]);
}

/**
 * Does this event count toward the condition's counter? The name must match exactly (event
 * names are case-sensitive, as in the Segment spec) and every `where` filter must pass, with
 * the same op meanings as attribute conditions; a property is read by its name, or, when no
 * property has that name, as a dotted path into nested objects (`product.category`).
 */
export function eventMatches(selector: EventSelector, event: TrackedEvent): boolean {
  if (event.name !== selector.event) return false;
  // Where filters hold no time-relative ops, so `now` and the time zone are never read.
  return (selector.where ?? []).every((filter) =>
    testValue(filter, propertyValue(event.properties, filter.property), 0, null),
  );
}

/**
 * A property by its own name first (Segment allows dots in names), else by its dotted path:
 * `products.0.sku` reads `properties.products[0].sku`. Own properties only, at every step.
 *
 * @example propertyValue({ product: { category: "shoes" } }, "product.category") // "shoes"
 */
export function propertyValue(record: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(record, path) || !path.includes(".")) return ownValue(record, path);
  let value: unknown = record;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = ownValue(value as Record<string, unknown>, key);
  }
  return value;
}

/** Reads own properties only: a property called "constructor" must not find Object's. */
export function ownValue(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
