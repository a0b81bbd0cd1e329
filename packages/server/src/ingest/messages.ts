/**
 * Segment-spec messages (identify, track, page, screen, group, alias) as they arrive, checked
 * and normalised into `IngestMessage`. Pure: the caller passes `receivedAt`.
 *
 * Times are ISO 8601 (a date-time without an offset is UTC, as the Segment spec's examples are)
 * or epoch milliseconds.
 *
 * Clock skew: devices' clocks drift, so when a message carries `sentAt` (the client's clock
 * when it sent) we shift its timestamp by (receivedAt − sentAt), the offset between the two
 * clocks, as the Segment spec describes.
 */
import { isoInstant, jsonShapeProblem, unstorableText } from "@journeys/core";

export const MESSAGE_TYPES = ["identify", "track", "page", "screen", "group", "alias"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const INGEST_LIMITS = {
  /** One message, and the body of a single-message call. */
  messageBytes: 32 * 1024,
  /** The body of /v1/batch. */
  batchBytes: 500 * 1024,
  idLength: 256,
  eventNameLength: 200,
  /** Levels of nesting in traits, properties and context (and any other field), the field counted. */
  depth: 32,
};

export interface IngestMessage {
  type: MessageType;
  userId: string | null;
  anonymousId: string | null;
  messageId: string | null;
  /** Skew-corrected time the event happened, epoch ms. */
  timestamp: number;
  /** track: the event name; page/screen: the page name; others null. */
  name: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown> | null;
  /** alias: the id being merged into userId. */
  previousId: string | null;
  groupId: string | null;
}

export interface MessageProblem {
  code: string;
  message: string;
  details?: { path: string; limit?: number };
}

/**
 * What makes a message unstorable whatever its type: a field nested deeper than
 * `INGEST_LIMITS.depth` or text a database cannot hold (see core's `jsonShapeProblem`).
 * Checked first, before anything serialises or reads the message, field by field so the
 * answer names the field (`traits.a.b`) and the limit.
 */
export function messageShapeProblem(raw: unknown): MessageProblem | null {
  const fields = isRecord(raw) ? Object.entries(raw) : [["message", raw] as const];
  for (const [field, value] of fields) {
    const keyProblem = unstorableText(field);
    if (keyProblem)
      return { code: "invalid_string", message: `a field name ${keyProblem}`, details: { path: field } };
    const problem = jsonShapeProblem(value, { maxDepth: INGEST_LIMITS.depth, path: field });
    if (problem) {
      const { code, message, ...details } = problem;
      return { code, message, details };
    }
  }
  return null;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function id(value: unknown): string | null | undefined {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "string" && value.length <= INGEST_LIMITS.idLength) return value;
  return undefined; // invalid
}

/** The furthest a JavaScript Date reaches either side of 1970, in ms (±275,760 years). */
const MAX_TIME = 8_640_000_000_000_000;

/**
 * How far ahead of its arrival an event may be dated. A later time is a device clock gone
 * wrong: stored as such it would count as "recent" in every event window for years.
 */
const FUTURE_SLACK = 86_400_000;

function time(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= MAX_TIME) return value;
  if (typeof value === "string") return isoInstant(value) ?? undefined;
  return undefined;
}

/**
 * Checks one message. `type` is taken from the call path when the message has none
 * (/v1/track bodies need not repeat "type": "track"). `batchSentAt` is the batch's own sentAt.
 */
export function parseMessage(
  raw: unknown,
  receivedAt: number,
  options: { pathType?: MessageType; batchSentAt?: unknown } = {},
): { ok: true; message: IngestMessage } | { ok: false; problem: MessageProblem } {
  const fail = (code: string, message: string) => ({ ok: false as const, problem: { code, message } });
  if (!isRecord(raw)) return fail("invalid_message", "a message must be a JSON object");
  const type = (raw.type ?? options.pathType) as MessageType;
  if (!MESSAGE_TYPES.includes(type)) {
    return fail("invalid_type", `type must be one of ${MESSAGE_TYPES.join(", ")}`);
  }
  if (options.pathType && raw.type !== undefined && raw.type !== options.pathType) {
    return fail("invalid_type", `a /v1/${options.pathType} call cannot carry type "${String(raw.type)}"`);
  }
  const userId = id(raw.userId);
  const anonymousId = id(raw.anonymousId);
  if (userId === undefined)
    return fail("invalid_user_id", `userId must be a string of at most ${INGEST_LIMITS.idLength} characters`);
  if (anonymousId === undefined)
    return fail(
      "invalid_anonymous_id",
      `anonymousId must be a string of at most ${INGEST_LIMITS.idLength} characters`,
    );
  if (userId === null && anonymousId === null)
    return fail("missing_identity", "a message needs a userId or an anonymousId");
  const messageId = id(raw.messageId);
  if (messageId === undefined) return fail("invalid_message_id", "messageId must be a string");

  const timestamp = time(raw.timestamp ?? raw.originalTimestamp);
  const sentAt = time(raw.sentAt ?? options.batchSentAt);
  if (timestamp === undefined)
    return fail("invalid_timestamp", "timestamp must be an ISO 8601 date or epoch milliseconds");
  if (sentAt === undefined)
    return fail("invalid_timestamp", "sentAt must be an ISO 8601 date or epoch milliseconds");
  const skewed =
    timestamp === null ? receivedAt : sentAt === null ? timestamp : timestamp + (receivedAt - sentAt);
  if (Math.abs(skewed) > MAX_TIME)
    return fail("invalid_timestamp", "timestamp is out of range once corrected by sentAt");
  const corrected = skewed > receivedAt + FUTURE_SLACK ? receivedAt : skewed;

  for (const field of ["properties", "traits", "context"] as const) {
    if (raw[field] !== undefined && raw[field] !== null && !isRecord(raw[field])) {
      return fail("invalid_message", `${field} must be an object`);
    }
  }
  let name: string | null = null;
  if (type === "track") {
    if (typeof raw.event !== "string" || raw.event.trim() === "")
      return fail("missing_event", "track needs an event name");
    if (raw.event.length > INGEST_LIMITS.eventNameLength) {
      return fail("invalid_event", `event names are at most ${INGEST_LIMITS.eventNameLength} characters`);
    }
    name = raw.event;
  } else if (type === "page" || type === "screen") {
    name = typeof raw.name === "string" ? raw.name.slice(0, INGEST_LIMITS.eventNameLength) : null;
  }
  const previousId = id(raw.previousId);
  if (type === "alias" && (previousId === undefined || previousId === null || userId === null)) {
    return fail("invalid_alias", "alias needs a previousId and a userId");
  }
  const groupId = id(raw.groupId);
  if (type === "group" && (groupId === undefined || groupId === null))
    return fail("invalid_group", "group needs a groupId");

  const context = isRecord(raw.context) ? raw.context : null;
  // Segment libraries send traits on identify/group at the top level and sometimes in context.
  const traits = isRecord(raw.traits)
    ? raw.traits
    : type === "identify" && isRecord(context?.traits)
      ? context.traits
      : {};
  return {
    ok: true,
    message: {
      type,
      userId,
      anonymousId,
      messageId,
      timestamp: corrected,
      name,
      properties: isRecord(raw.properties) ? raw.properties : {},
      traits,
      context,
      previousId: previousId ?? null,
      groupId: groupId ?? null,
    },
  };
}
