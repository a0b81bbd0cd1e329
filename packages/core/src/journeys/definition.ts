/**
 * Journey definitions as data: the DESIGN §5 wire format, exactly as the UI, the AI generator and
 * the API send it. A definition is an entry trigger plus a graph of nodes keyed by a stable id;
 * `null` where a node id could stand ends the path. Stored strings (types, channels, units) are
 * never renamed; a change of shape gets a new `schemaVersion` and a step in `migrate.ts`.
 *
 * @example
 *   const welcome: JourneyDefinition = {
 *     schemaVersion: 1,
 *     trigger: { type: "segment", segmentId: "seg_new" },
 *     start: "welcome",
 *     nodes: {
 *       welcome: { type: "message", channel: "email", templateId: "tpl_hi", next: "wait" },
 *       wait: { type: "delay", amount: 1, unit: "days", next: "check" },
 *       check: { type: "split", segmentId: "seg_active", true: null, false: "nudge" },
 *       nudge: { type: "message", channel: "sms", templateId: "tpl_nudge", next: null },
 *     },
 *   };
 */

import { CHANNELS, WHERE_OPS } from "../segments/condition";

/** The schema version this code writes. Older stored versions go through `migrateDefinition`. */
export const JOURNEY_SCHEMA_VERSION = 1;

/** Channels a message node can send on: the channels customers subscribe to. */
export const MESSAGE_CHANNELS = CHANNELS;
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number];

export const DELAY_UNITS = ["hours", "days"] as const;
export type DelayUnit = (typeof DELAY_UNITS)[number];

export const TRIGGER_TYPES = ["segment", "event", "form"] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

export const NODE_TYPES = ["message", "delay", "split"] as const;
export type NodeType = (typeof NODE_TYPES)[number];

/**
 * Ops an event trigger's `where` filter may use: the same as a segment event condition's
 * `where` (the attribute ops minus the date ops, which mean nothing for a single event).
 */
export const TRIGGER_WHERE_OPS = WHERE_OPS;
export type TriggerWhereOp = (typeof TRIGGER_WHERE_OPS)[number];

type Scalar = string | number | boolean;

/**
 * `{ "property": "plan", "op": "eq", "value": "pro" }`. Keyed on `op` so each op carries exactly
 * the value it can use (the same shapes as a segment's event `where`).
 */
export type TriggerWhere = { property: string } & (
  | { op: "exists" | "notExists" }
  | { op: "eq" | "neq" | "contains"; value: Scalar }
  | { op: "startsWith"; value: string }
  | { op: "gt" | "gte" | "lt" | "lte"; value: number | string }
  | { op: "in"; value: Scalar[] }
);

/** What enrolls a customer. */
export type Trigger =
  | { type: "segment"; segmentId: string }
  | { type: "event"; event: string; where?: TriggerWhere[] }
  | { type: "form"; formId: string };

/**
 * Sends one template on one channel, then goes on to `next`. With `fallback`, when the customer
 * cannot be reached on `channel` (no address, no consent) or its provider refuses the message
 * for good, the next channel of the list is tried, each with its template from
 * `fallbackTemplates`: `"fallback": ["sms", "email"], "fallbackTemplates": { "sms": "tpl_…", "email": "tpl_…" }`.
 */
export interface MessageNode {
  type: "message";
  channel: MessageChannel;
  templateId: string;
  fallback?: MessageChannel[];
  fallbackTemplates?: Partial<Record<MessageChannel, string>>;
  next: string | null;
}

/** The channels and templates a message node tries after its own, in order. */
export function fallbackChain(node: MessageNode): Array<{ channel: MessageChannel; templateId: string }> {
  return (node.fallback ?? []).flatMap((channel) => {
    const templateId = node.fallbackTemplates?.[channel];
    return templateId ? [{ channel, templateId }] : [];
  });
}

/** Waits `amount` × `unit` (a positive integer once activated), then goes on to `next`. */
export interface DelayNode {
  type: "delay";
  amount: number;
  unit: DelayUnit;
  next: string | null;
}

/** Members of `segmentId` (at the moment the customer reaches it) go to `true`, others to `false`. */
export interface SplitNode {
  type: "split";
  segmentId: string;
  true: string | null;
  false: string | null;
}

export type JourneyNode = MessageNode | DelayNode | SplitNode;

export interface JourneyDefinition {
  schemaVersion: typeof JOURNEY_SCHEMA_VERSION;
  trigger: Trigger;
  /** Id of the first node. */
  start: string;
  nodes: Record<string, JourneyNode>;
}

/** Node ids are short, URL- and key-safe, and never contain ":" (see `deliveryKey`). */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** @example isNodeId("welcome") === true; isNodeId("a b") === false */
export function isNodeId(value: unknown): value is string {
  return typeof value === "string" && NODE_ID_PATTERN.test(value);
}

/**
 * The node with `id`, or undefined. Use this rather than `nodes[id]`: valid ids include
 * `constructor` and `__proto__`, which a plain index would find on Object.prototype.
 *
 * @example nodeAt(definition, "welcome")?.type === "message"
 */
export function nodeAt(definition: JourneyDefinition, id: string): JourneyNode | undefined {
  return Object.hasOwn(definition.nodes, id) ? definition.nodes[id] : undefined;
}

/** Which field of a node points onward. */
export type Edge = "next" | "true" | "false";

/**
 * The outgoing edges of a node, in a fixed order (`next`, or `true` then `false`).
 *
 * @example edgesOf({ type: "split", segmentId: "s", true: "a", false: null })
 *   // → [{ edge: "true", target: "a" }, { edge: "false", target: null }]
 */
export function edgesOf(node: JourneyNode): { edge: Edge; target: string | null }[] {
  if (node.type === "split") {
    return [
      { edge: "true", target: node.true },
      { edge: "false", target: node.false },
    ];
  }
  return [{ edge: "next", target: node.next }];
}

const UNIT_MS: Record<DelayUnit, number> = { hours: 3_600_000, days: 86_400_000 };

/**
 * The length of a delay in milliseconds. A day is a fixed 24 hours: a delay is "wait this long",
 * not "until the same wall-clock time", so DST and time zones do not move it.
 *
 * @example delayMs({ type: "delay", amount: 2, unit: "hours", next: null }) === 7_200_000
 */
export function delayMs(node: Pick<DelayNode, "amount" | "unit">): number {
  return node.amount * UNIT_MS[node.unit];
}

/**
 * The segments a step of this definition may ask `isMember` about (its splits'), without
 * repeats, so the engine can load exactly those memberships before stepping.
 *
 * @example splitSegmentIds(definition) // → ["seg_active"]
 */
export function splitSegmentIds(definition: JourneyDefinition): string[] {
  const ids = new Set<string>();
  for (const node of Object.values(definition.nodes)) if (node.type === "split") ids.add(node.segmentId);
  return [...ids];
}
