import type { Kysely } from "kysely";
import { JourneysError } from "../errors";
import { readJson } from "../store/json";
import type { Database } from "../store/schema";

/** What happened to a customer, newest first: their events, segment changes and messages. */
export type TimelineEntry =
  | {
      kind: "event";
      at: number;
      eventId: string;
      type: string;
      name: string | null;
      properties: Record<string, unknown>;
    }
  | { kind: "segment"; at: number; change: "joined" | "left"; segmentId: string; segmentName: string | null }
  | {
      kind: "message";
      at: number;
      deliveryId: string;
      channel: string;
      templateId: string;
      journeyId: string | null;
      /** queued | sending | sent | skipped | failed */
      status: string;
      /** Why it was skipped or failed, when it was. */
      detail: unknown;
    };

export interface TimelinePage {
  entries: TimelineEntry[];
  /** Pass as `timelineCursor` for older entries; null when there are none. */
  nextCursor: string | null;
}

/**
 * Position in the merged order: time descending; at one instant messages, then segment
 * changes, then events; then delivery id / log sequence / event id descending.
 */
interface Position {
  at: number;
  source: Source;
  key: string | number;
}

type Source = "event" | "segment" | "message";
const RANK: Record<Source, number> = { event: 0, segment: 1, message: 2 };

/**
 * A page of a customer's timeline. Each source is read by keyset from the cursor (limit + 1
 * rows each), merged, and cut at `limit`, so a page costs three index range scans however
 * long the history is. A message stands at its last change (queued, sent, skipped, failed).
 *
 * @example
 *   const { entries, nextCursor } = await customerTimeline(db, "bus_…", "cus_…", 50, null);
 */
export async function customerTimeline(
  db: Kysely<Database>,
  businessId: string,
  customerId: string,
  limit: number,
  cursor: string | null,
): Promise<TimelinePage> {
  const from = cursor === null ? null : decodePosition(cursor);

  let events = db
    .selectFrom("events")
    .select(["id", "type", "name", "properties", "timestamp"])
    .where("business_id", "=", businessId)
    .where("customer_id", "=", customerId);
  if (from) {
    const r = olderThan("event", from);
    events = events.where((eb) =>
      r === "atOrBefore"
        ? eb("timestamp", "<=", from.at)
        : r === "before"
          ? eb("timestamp", "<", from.at)
          : eb.or([
              eb("timestamp", "<", from.at),
              eb.and([eb("timestamp", "=", from.at), eb("id", "<", String(from.key))]),
            ]),
    );
  }
  let changes = db
    .selectFrom("membership_events as m")
    .leftJoin("segments as s", (join) =>
      join.onRef("s.business_id", "=", "m.business_id").onRef("s.id", "=", "m.segment_id"),
    )
    .select(["m.seq", "m.segment_id", "m.change", "m.at", "s.name"])
    .where("m.business_id", "=", businessId)
    .where("m.customer_id", "=", customerId);
  if (from) {
    const r = olderThan("segment", from);
    changes = changes.where((eb) =>
      r === "atOrBefore"
        ? eb("m.at", "<=", from.at)
        : r === "before"
          ? eb("m.at", "<", from.at)
          : eb.or([
              eb("m.at", "<", from.at),
              eb.and([eb("m.at", "=", from.at), eb("m.seq", "<", Number(from.key))]),
            ]),
    );
  }
  let messages = db
    .selectFrom("deliveries")
    .select(["id", "channel", "template_id", "journey_id", "status", "detail", "updated_at"])
    .where("business_id", "=", businessId)
    .where("customer_id", "=", customerId);
  if (from) {
    const r = olderThan("message", from);
    messages = messages.where((eb) =>
      r === "atOrBefore"
        ? eb("updated_at", "<=", from.at)
        : r === "before"
          ? eb("updated_at", "<", from.at)
          : eb.or([
              eb("updated_at", "<", from.at),
              eb.and([eb("updated_at", "=", from.at), eb("id", "<", String(from.key))]),
            ]),
    );
  }
  const [eventRows, changeRows, messageRows] = await Promise.all([
    events
      .orderBy("timestamp", "desc")
      .orderBy("id", "desc")
      .limit(limit + 1)
      .execute(),
    changes
      .orderBy("m.at", "desc")
      .orderBy("m.seq", "desc")
      .limit(limit + 1)
      .execute(),
    messages
      .orderBy("updated_at", "desc")
      .orderBy("id", "desc")
      .limit(limit + 1)
      .execute(),
  ]);

  const merged: { position: Position; entry: TimelineEntry }[] = [
    ...eventRows.map((e) => ({
      position: { at: Number(e.timestamp), source: "event" as const, key: e.id },
      entry: {
        kind: "event" as const,
        at: Number(e.timestamp),
        eventId: e.id,
        type: e.type,
        name: e.name,
        properties: readJson<Record<string, unknown>>(e.properties) ?? {},
      },
    })),
    ...changeRows.map((m) => ({
      position: { at: Number(m.at), source: "segment" as const, key: Number(m.seq) },
      entry: {
        kind: "segment" as const,
        at: Number(m.at),
        change: m.change as "joined" | "left",
        segmentId: m.segment_id,
        segmentName: m.name ?? null,
      },
    })),
    ...messageRows.map((d) => ({
      position: { at: Number(d.updated_at), source: "message" as const, key: d.id },
      entry: {
        kind: "message" as const,
        at: Number(d.updated_at),
        deliveryId: d.id,
        channel: d.channel,
        templateId: d.template_id,
        journeyId: d.journey_id,
        status: d.status,
        detail: readJson(d.detail) ?? null,
      },
    })),
  ].sort((a, b) => comparePositions(b.position, a.position));

  const page = merged.slice(0, limit);
  const last = page.at(-1);
  return {
    entries: page.map((m) => m.entry),
    nextCursor: merged.length > limit && last ? encodePosition(last.position) : null,
  };
}

/**
 * Which rows of `source` come after the cursor (are older): `atOrBefore` its time when the
 * source sorts below the cursor's at one instant, `before` when above, `keyed` when the same.
 */
function olderThan(source: Source, from: Position): "atOrBefore" | "before" | "keyed" {
  if (RANK[source] < RANK[from.source]) return "atOrBefore";
  if (RANK[source] > RANK[from.source]) return "before";
  return "keyed";
}

/** Ascending order of positions (the timeline shows them descending). */
function comparePositions(a: Position, b: Position): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.source !== b.source) return RANK[a.source] - RANK[b.source];
  if (typeof a.key === "number" && typeof b.key === "number") return a.key - b.key;
  return String(a.key) < String(b.key) ? -1 : String(a.key) > String(b.key) ? 1 : 0;
}

const encodePosition = (p: Position) =>
  Buffer.from(JSON.stringify([p.at, p.source, p.key])).toString("base64url");

function decodePosition(cursor: string): Position {
  try {
    const [at, source, key] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (
      typeof at === "number" &&
      (source === "segment"
        ? typeof key === "number"
        : (source === "event" || source === "message") && typeof key === "string")
    ) {
      return { at, source, key } as Position;
    }
  } catch {}
  throw new JourneysError("bad_request", "invalid_cursor", "timelineCursor is not one this API returned");
}
