/**
 * Segment rules as data: the `Condition` wire format of DESIGN §5, exactly as the UI, the AI
 * generator and the API send it. Stored strings (ops, channels) are never renamed.
 *
 * @example
 *   const rule: Condition = {
 *     all: [
 *       { attribute: "plan", op: "eq", value: "pro" },
 *       { event: "Purchased", op: "atLeast", count: 1, withinDays: 30 },
 *       { subscribed: "email" },
 *     ],
 *   };
 */

/** Channels a customer can subscribe to. */
export const CHANNELS = ["email", "sms", "whatsapp", "telegram", "push"] as const;
export type Channel = (typeof CHANNELS)[number];

/** Every op an attribute condition may use. */
export const ATTRIBUTE_OPS = [
  "eq",
  "neq",
  "contains",
  "startsWith",
  "gt",
  "gte",
  "lt",
  "lte",
  "exists",
  "notExists",
  "in",
  "before",
  "after",
  "withinLastDays",
  "anniversaryToday",
] as const;
export type AttributeOp = (typeof ATTRIBUTE_OPS)[number];

/**
 * The attribute ops that make sense on an event property. The date ops are left out: they are
 * relative to *now*, and an event's counter is bumped once, when it arrives.
 */
export const WHERE_OPS = [
  "eq",
  "neq",
  "contains",
  "startsWith",
  "gt",
  "gte",
  "lt",
  "lte",
  "exists",
  "notExists",
  "in",
] as const;
export type WhereOp = (typeof WHERE_OPS)[number];

/** `atMost` 0 means "never performed" (within the window). */
export const EVENT_OPS = ["atLeast", "atMost", "exactly"] as const;
export type EventOp = (typeof EVENT_OPS)[number];

export type Scalar = string | number | boolean;

/**
 * An op with the value it needs, without the subject (attribute or event property) it tests.
 * Keyed on `op` so each op carries exactly the value type it can use.
 */
export type ValueTest =
  | { op: "exists" | "notExists" }
  | { op: "anniversaryToday" }
  | { op: "eq" | "neq" | "contains"; value: Scalar }
  | { op: "startsWith"; value: string }
  /** A number, a numeric string, or an ISO date (compared as dates when both sides are dates). */
  | { op: "gt" | "gte" | "lt" | "lte"; value: number | string }
  | { op: "in"; value: Scalar[] }
  /** An ISO date / date-time string or epoch milliseconds. */
  | { op: "before" | "after"; value: string | number }
  /** A positive number of days. */
  | { op: "withinLastDays"; value: number };

export type WhereTest = Extract<ValueTest, { op: WhereOp }>;

/** `{ "attribute": "plan", "op": "eq", "value": "pro" }` */
export type AttributeCondition = { attribute: string } & ValueTest;

/** `{ "property": "plan", "op": "eq", "value": "pro" }` inside an event condition's `where`. */
export type WhereFilter = { property: string } & WhereTest;

/** `{ "event": "Purchased", "op": "atLeast", "count": 1, "withinDays": 30, "where": [ … ] }` */
export interface EventCondition {
  event: string;
  op: EventOp;
  /** A non-negative integer. */
  count: number;
  /** Only events with timestamp ≥ now − withinDays × 24 h count; absent means "ever". */
  withinDays?: number;
  where?: WhereFilter[];
}

export interface AllCondition {
  all: Condition[];
}
export interface AnyCondition {
  any: Condition[];
}
export interface NotCondition {
  not: Condition;
}
export interface SubscribedCondition {
  subscribed: Channel;
}
export interface InSegmentCondition {
  inSegment: string;
}

export type Condition =
  | AllCondition
  | AnyCondition
  | NotCondition
  | AttributeCondition
  | EventCondition
  | SubscribedCondition
  | InSegmentCondition;

/** A segment as stored. `rule: null` is a manual list: members are added and removed by hand. */
export interface Segment {
  id: string;
  name: string;
  rule: Condition | null;
}

/** Attribute names that read the customer's built-in fields rather than `attributes`. */
export const BUILT_IN_ATTRIBUTES = ["email", "phone", "timezone", "locale", "userId"] as const;
export type BuiltInAttribute = (typeof BUILT_IN_ATTRIBUTES)[number];

export function isChannel(value: unknown): value is Channel {
  return typeof value === "string" && (CHANNELS as readonly string[]).includes(value);
}
