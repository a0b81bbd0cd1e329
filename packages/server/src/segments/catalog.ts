import { createHash } from "node:crypto";
import {
  type Condition,
  type EventCondition,
  indexSegments,
  parseCondition,
  type Segment,
  type SegmentIndex,
} from "@journeys/core";
import type { Kysely } from "kysely";
import { readJson } from "../store/json";
import type { Database } from "../store/schema";

/** An event counter a business's rules read: its stored short id and what it counts. */
export interface Counter {
  id: string;
  key: string;
  selector: EventCondition;
}

/**
 * A business's segments, parsed and indexed once, for the write path: which segments a change
 * can affect (`index`), the rule of each, and the counters an incoming event may bump.
 */
export interface SegmentCatalog {
  businessId: string;
  version: number;
  segments: ReadonlyMap<string, Segment>;
  index: SegmentIndex;
  /** Event name → counters under that name. */
  countersByEvent: ReadonlyMap<string, readonly Counter[]>;
}

/** The stored id of a counter: a short hash of its canonical key. */
export function counterId(key: string): string {
  return createHash("sha256").update(key).digest("base64url").slice(0, 16);
}

export function buildCatalog(businessId: string, version: number, segments: Segment[]): SegmentCatalog {
  const indexed = indexSegments(segments);
  if (!indexed.ok) {
    // Stored segments were validated on save; a broken graph here is a bug worth stopping for.
    throw new Error(`segments of ${businessId} do not form a valid graph: ${indexed.error[0]?.message}`);
  }
  const countersByEvent = new Map<string, Counter[]>();
  for (const [event, byKey] of indexed.value.counters) {
    countersByEvent.set(
      event,
      [...byKey].map(([key, selector]) => ({ id: counterId(key), key, selector })),
    );
  }
  return {
    businessId,
    version,
    segments: new Map(segments.map((s) => [s.id, s])),
    index: indexed.value,
    countersByEvent,
  };
}

/** Parses a stored rule; stored rules were validated when saved. */
export function storedRule(raw: unknown): Condition | null {
  const value = readJson<unknown>(raw);
  if (value === null || value === undefined) return null;
  const parsed = parseCondition(value);
  if (!parsed.ok) throw new Error(`stored segment rule does not parse: ${parsed.error[0]?.message}`);
  return parsed.value;
}

/** A business's segments as stored, in id (creation) order. */
export async function loadSegments(db: Kysely<Database>, businessId: string): Promise<Segment[]> {
  const rows = await db
    .selectFrom("segments")
    .select(["id", "name", "rule"])
    .where("business_id", "=", businessId)
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, rule: storedRule(r.rule) }));
}

/**
 * One process's cache of segment catalogs. A catalog is reused while the business's
 * `segments_version` is unchanged, so an edit made by another process is seen at the next
 * batch.
 */
export class SegmentCatalogs {
  readonly #cache = new Map<string, SegmentCatalog>();

  async get(db: Kysely<Database>, businessId: string): Promise<SegmentCatalog> {
    const row = await db
      .selectFrom("businesses")
      .select("segments_version")
      .where("id", "=", businessId)
      .executeTakeFirst();
    const version = Number(row?.segments_version ?? 0);
    const cached = this.#cache.get(businessId);
    if (cached && cached.version === version) return cached;
    const catalog = buildCatalog(businessId, version, await loadSegments(db, businessId));
    this.#cache.set(businessId, catalog);
    return catalog;
  }

  forget(businessId: string): void {
    this.#cache.delete(businessId);
  }
}
