/**
 * Is this customer in this segment right now? A pure function of the rule, the customer's
 * facts, two injected look-ups (event counters and other segments' memberships) and `now`.
 *
 * Semantics worth knowing:
 * - `{ all: [] }` is true and `{ any: [] }` is false (the identities of "and" and "or"), so
 *   a rule under construction with no conditions yet matches everyone, not no-one.
 * - A missing attribute fails every op except `neq` and `notExists` (see ops.ts).
 * - Event conditions compare `countEvents(key, since)` to `count`; `since` is
 *   `now − withinDays × 86,400,000`, or null ("ever") without `withinDays`.
 * - `subscribed` is true for status "subscribed"; for email also "unknown" (or no status) when
 *   the business runs email as opt-out.
 *
 * @example
 *   const inSegment = evaluate(segment.rule, facts, {
 *     countEvents: (key, since) => store.countEvents(customerId, key, since),
 *     isMember: (segmentId) => memberships.has(segmentId),
 *     emailOptOut: business.settings.emailOptOut,
 *   }, clock.now());
 */
import type { BuiltInAttribute, Channel, Condition, EventCondition } from "./condition";
import { eventConditionKey, ownValue } from "./events";
import { testValue } from "./ops";
import { DAY_MS } from "./time";

export type SubscriptionStatus = "subscribed" | "unsubscribed" | "unknown";

/** The view of a customer the evaluator reads. */
export interface CustomerFacts {
  userId: string | null;
  email: string | null;
  phone: string | null;
  /** IANA name; null means UTC. */
  timezone: string | null;
  /** BCP 47 tag (ingestion's `locale` trait lands here, not in `attributes`). */
  locale: string | null;
  attributes: Record<string, unknown>;
  subscriptions: Partial<Record<Channel, SubscriptionStatus>>;
}

/** What the evaluator may ask beyond the customer's own facts. */
export interface EvaluationContext {
  /**
   * How many of this customer's events match the selector behind `key`
   * (see `eventConditionKey`) with timestamp ≥ `sinceMs`, or ever when `sinceMs` is null.
   * A count may stop above the largest `count` a condition on that key compares it with: every
   * comparison then decides as with the exact count.
   */
  countEvents(key: string, sinceMs: number | null): number;
  /** Is this customer currently a member of `segmentId`? */
  isMember(segmentId: string): boolean;
  /** The business setting "email is opt-out": an unknown email status counts as subscribed. */
  emailOptOut?: boolean;
}

const BUILT_IN: Record<BuiltInAttribute, (facts: CustomerFacts) => unknown> = {
  email: (facts) => facts.email,
  phone: (facts) => facts.phone,
  timezone: (facts) => facts.timezone,
  locale: (facts) => facts.locale ?? null,
  userId: (facts) => facts.userId,
};

/** An attribute's value: the built-in field for `email`, `phone`, `timezone`, `locale`, `userId`. */
export function readAttribute(facts: CustomerFacts, name: string): unknown {
  const builtIn = Object.hasOwn(BUILT_IN, name) ? BUILT_IN[name as BuiltInAttribute] : undefined;
  return builtIn ? builtIn(facts) : ownValue(facts.attributes, name);
}

/** May this customer be counted as subscribed to `channel`? */
export function isSubscribed(facts: CustomerFacts, channel: Channel, emailOptOut = false): boolean {
  const status = facts.subscriptions[channel] ?? "unknown";
  if (status === "subscribed") return true;
  return channel === "email" && emailOptOut && status === "unknown";
}

// A rule is parsed once and evaluated for many customers, so its event keys are computed once.
// Conditions are values: a rule is replaced, never mutated in place.
const eventKeys = new WeakMap<EventCondition, string>();
function keyOf(condition: EventCondition): string {
  let key = eventKeys.get(condition);
  if (key === undefined) {
    key = eventConditionKey(condition);
    eventKeys.set(condition, key);
  }
  return key;
}

/**
 * Where an event condition's window starts: `now − withinDays × 86,400,000`, or null ("ever")
 * without `withinDays`. Counts are looked up by this exact value, so every caller uses this.
 */
export function windowStart(withinDays: number | undefined, now: number): number | null {
  return withinDays === undefined ? null : now - withinDays * DAY_MS;
}

/** Does the customer described by `facts` satisfy `condition` at `now` (epoch ms)? */
export function evaluate(
  condition: Condition,
  facts: CustomerFacts,
  ctx: EvaluationContext,
  now: number,
): boolean {
  if ("all" in condition) return condition.all.every((c) => evaluate(c, facts, ctx, now));
  if ("any" in condition) return condition.any.some((c) => evaluate(c, facts, ctx, now));
  if ("not" in condition) return !evaluate(condition.not, facts, ctx, now);
  if ("subscribed" in condition) return isSubscribed(facts, condition.subscribed, ctx.emailOptOut);
  if ("inSegment" in condition) return ctx.isMember(condition.inSegment);
  if ("event" in condition) {
    const since = windowStart(condition.withinDays, now);
    const n = ctx.countEvents(keyOf(condition), since);
    if (condition.op === "atLeast") return n >= condition.count;
    if (condition.op === "atMost") return n <= condition.count;
    return n === condition.count;
  }
  return testValue(condition, readAttribute(facts, condition.attribute), now, facts.timezone);
}
