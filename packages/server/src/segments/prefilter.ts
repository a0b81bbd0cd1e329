import { type Channel, type Condition, type EventCondition, toNumber, windowStart } from "@journeys/core";

/**
 * A necessary condition of segment rules that a store can test on the stored row, before a
 * customer is read and decoded: every customer a rule can match passes it, and a scan may skip
 * the rest (they match none of the rules). It is looser than the rule — the evaluator still
 * decides — so each leaf below only says what `evaluate` certainly requires:
 *
 *   present    the attribute is not missing (absent or null fail every op but neq/notExists)
 *   oneOf      present, and when its value is a string it is one of `values` (a string
 *              attribute meets a string rule value only by exact equality); any other type
 *              passes
 *   compare    present, and when its value is an integer of magnitude below 2^53 it compares
 *              to `value` by `op`; any other value passes (numeric strings, dates and reals are
 *              left to the evaluator, whose parsing the store need not share)
 *   subscribed the channel's status is "subscribed", or with `orUnknown` also "unknown" or none
 *   hit        the customer has a stored hit of `counter` at or after `since` (null: ever), for
 *              "performed at least / exactly N ≥ 1 times"
 *
 * Full recompute spends most of its time turning rows into objects; a rule like "plan in
 * [pro, business] and age ≥ 30" lets the store drop most rows itself.
 *
 * @example
 *   prefilterOf({ all: [{ attribute: "plan", op: "eq", value: "pro" }, { subscribed: "sms" }] }, options)
 *   // { all: [{ oneOf: "plan", values: ["pro"] }, { subscribed: "sms", orUnknown: false }] }
 */
export type Prefilter =
  | { all: Prefilter[] }
  | { any: Prefilter[] }
  | { present: string }
  | { oneOf: string; values: string[] }
  | { compare: string; op: "gt" | "gte" | "lt" | "lte"; value: number }
  | { subscribed: Channel; orUnknown: boolean }
  | { hit: string; since: number | null };

export interface PrefilterOptions {
  emailOptOut: boolean;
  now: number;
  /** The stored counter whose hits the scan counts for this condition, or null (none yet). */
  counter: (condition: EventCondition) => string | null;
}

/** A `compare` applies to integers of smaller magnitude: both sides hold them exactly. */
export const PREFILTER_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
/** The SQL operator of each `compare` op. */
export const PREFILTER_OPS = { gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

/**
 * The prefilter of one rule, or null when it restricts nothing (every customer may match:
 * a `not`, an `inSegment`, "performed at most", `neq` / `notExists`, or an `any` with one such).
 */
export function prefilterOf(rule: Condition, options: PrefilterOptions): Prefilter | null {
  if ("all" in rule) {
    const parts = rule.all.map((c) => prefilterOf(c, options)).filter((p) => p !== null);
    return parts.length === 0 ? null : parts.length === 1 ? parts[0]! : { all: parts };
  }
  if ("any" in rule) return anyOf(rule.any.map((c) => prefilterOf(c, options)));
  if ("subscribed" in rule) {
    return { subscribed: rule.subscribed, orUnknown: rule.subscribed === "email" && options.emailOptOut };
  }
  if ("event" in rule) {
    if (rule.op === "atMost" || rule.count < 1) return null;
    const counter = options.counter(rule);
    if (counter === null) return null;
    return { hit: counter, since: windowStart(rule.withinDays, options.now) };
  }
  if ("not" in rule || "inSegment" in rule) return null;
  const name = rule.attribute;
  switch (rule.op) {
    case "neq":
    case "notExists":
      return null;
    case "eq":
      return typeof rule.value === "string" ? { oneOf: name, values: [rule.value] } : { present: name };
    case "in":
      // A list attribute is "in" when an element is: lists are not strings, so they pass.
      return rule.value.every((v) => typeof v === "string")
        ? { oneOf: name, values: rule.value as string[] }
        : { present: name };
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const value = toNumber(rule.value);
      return value === null ? { present: name } : { compare: name, op: rule.op, value };
    }
    default:
      return { present: name };
  }
}

/** The prefilter a customer must pass to match ANY of `rules`; null when nothing is excluded. */
export function prefilterOfAny(rules: readonly Condition[], options: PrefilterOptions): Prefilter | null {
  return anyOf(rules.map((rule) => prefilterOf(rule, options)));
}

function anyOf(parts: readonly (Prefilter | null)[]): Prefilter | null {
  if (parts.length === 0 || parts.some((p) => p === null)) return null;
  return parts.length === 1 ? parts[0]! : { any: parts as Prefilter[] };
}
