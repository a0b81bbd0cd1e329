import type { Kysely } from "kysely";
import { JourneysError } from "../errors";
import { readJson } from "../store/json";
import type { Database } from "../store/schema";

/** What happened to a customer, newest first: their events and their segment changes. */
export type TimelineEntry =
  | {
      kind: "event";
      at: number;
      eventId: string;
      type: string;
      name: string | null;
      properties: Record<string, unknown>;
    }
  | { kind: "segment"; at: number; change: "joined" | "left"; segmentId: string; segmentName: string | null };

export interface TimelinePage {
  entries: TimelineEntry[];
  /** Pass as `timelineCursor` for older entries; null when there are none. */
  nextCursor: string | null;
}

/**
 * Position in the merged order: time descending; at one instant segment changes before
 * events; then event id / log sequence descending.
 */
interface Position {
  at: number;
  source: "segment" | "event";
  key: string | number;
}

/**
 * A page of a customer's timeline. Each source is read by keyset from the cursor (limit + 1
 * rows each), merged, and cut at `limit`, so a page costs two index range scans however
 * long the history is. Messages join the timeline when deliveries exist.
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
    events = events.where((eb) =>
      from.source === "segment"
        ? eb("timestamp", "<=", from.at)
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
    changes = changes.where((eb) =>
      from.source === "segment"
        ? eb.or([
            eb("m.at", "<", from.at),
            eb.and([eb("m.at", "=", from.at), eb("m.seq", "<", Number(from.key))]),
          ])
        : eb("m.at", "<", from.at),
    );
  }
  const [eventRows, changeRows] = await Promise.all([
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
  ].sort((a, b) => comparePositions(b.position, a.position));

  const page = merged.slice(0, limit);
  const last = page.at(-1);
  return {
    entries: page.map((m) => m.entry),
    nextCursor: merged.length > limit && last ? encodePosition(last.position) : null,
  };
}

/** Ascending order of positions (the timeline shows them descending). */
function comparePositions(a: Position, b: Position): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.source !== b.source) return a.source === "event" ? -1 : 1;
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
      (source === "event" ? typeof key === "string" : source === "segment" && typeof key === "number")
    ) {
      return { at, source, key } as Position;
    }
  } catch {}
  throw new JourneysError("bad_request", "invalid_cursor", "timelineCursor is not one this API returned");
}
