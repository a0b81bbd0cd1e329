import type { BuiltInAttribute, Channel, CustomerFacts } from "@journeys/core";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import type { Prefilter } from "./prefilter";

/**
 * The `customers` column of each built-in attribute (text or null). Keyed on core's
 * `BUILT_IN_ATTRIBUTES`, so a new built-in cannot be left out of the scans and prefilters:
 * a rule on it would read nothing there while the write path reads the column.
 */
export const BUILT_IN_COLUMNS: Readonly<
  Record<BuiltInAttribute, "user_id" | "email" | "phone" | "timezone" | "locale">
> = {
  userId: "user_id",
  email: "email",
  phone: "phone",
  timezone: "timezone",
  locale: "locale",
};

/** The column of a built-in attribute, or null for a custom one (in the `attributes` JSON). */
export function builtInColumn(name: string): string | null {
  return Object.hasOwn(BUILT_IN_COLUMNS, name) ? BUILT_IN_COLUMNS[name as BuiltInAttribute] : null;
}

/** A counter's hits with timestamp ≥ since (all when since is null), per customer. */
export interface CountWindow {
  counter: string;
  since: number | null;
}

/**
 * What of each customer a scan must decode: the attributes (built-in or custom) and the
 * subscription channels the rules read, and the counter windows it must count. A scan may
 * leave everything else out of the facts (null / absent), because reading and decoding
 * columns is most of the cost of a full scan.
 */
export interface ScanNeeds {
  attributes: readonly string[];
  subscriptions: readonly Channel[];
  counts: readonly CountWindow[];
  /**
   * A condition every customer the rules can match passes (null: any customer may match). A
   * scan may skip the customers that fail it, but need not: the rules decide either way.
   */
  prefilter: Prefilter | null;
}

/** A customer as a scan yields it: the evaluator's facts and its counts. */
export interface ScannedCustomer {
  id: string;
  facts: CustomerFacts;
  /** Hits per window of `ScanNeeds.counts`, in that order. */
  counts: readonly number[];
}

/** A stored track event that matched a counter's selector. */
export interface EventHit {
  customerId: string;
  eventId: string;
  timestamp: number;
}

/**
 * The bulk reads and writes of segment membership for ONE business inside ONE transaction —
 * what a full recompute, a preview, a counter backfill and a manual-list edit need, in sets
 * rather than per customer. `sqlite-scan.ts` implements it on prepared statements (a
 * 5-condition segment over a million customers in about 1.3 s, see bench/segments),
 * `kysely-scan.ts` with Kysely (PostgreSQL, and the reference the SQLite one is tested
 * against). Open one with `withSegmentTransaction`.
 */
export interface MembershipScan {
  readonly businessId: string;
  /** The transaction, for everything that is not bulk. */
  readonly db: Kysely<Database>;
  /**
   * Calls `visit` for every customer of the business, in id order, with the hits of each
   * window in `needs.counts` (counted a page of customers at a time, merged by id, rather
   * than held for every customer at once). `visit` is synchronous, must not use the store,
   * and must not keep the customer it is given: a scan may refill the same object for the
   * next one.
   */
  customers(needs: ScanNeeds, visit: (customer: ScannedCustomer) => void): Promise<void>;
  /** Stored `track` events named `name`, with their properties, for `eventMatches`. */
  trackEvents(
    name: string,
    visit: (event: EventHit & { properties: Record<string, unknown> }) => void,
  ): Promise<void>;
  insertHits(counter: string, hits: readonly EventHit[]): Promise<void>;
  deleteCounter(counter: string): Promise<void>;
  /** The segment's members, in customer id order. */
  members(segmentId: string): Promise<Set<string>>;
  /** Adds members, logging `joined` for each one that was not a member; returns those. */
  join(segmentId: string, customerIds: readonly string[], at: number): Promise<string[]>;
  /** Removes members, logging `left` for each one that was a member; returns those. */
  leave(segmentId: string, customerIds: readonly string[], at: number): Promise<string[]>;
}

/**
 * Matches a page of customers with its count rows, [customer id, count per window …], which
 * cover only customers with hits: the row of each customer, or -1. A row whose customer is not
 * in the page (one the prefilter skipped, or a hit left behind) is ignored.
 */
export function countRowsOf(ids: readonly string[], rows: readonly (readonly unknown[])[]): Int32Array {
  const rowOf = new Int32Array(ids.length).fill(-1);
  const index = new Map<unknown, number>();
  for (let i = 0; i < ids.length; i++) index.set(ids[i], i);
  for (let r = 0; r < rows.length; r++) {
    const i = index.get(rows[r]![0]);
    if (i !== undefined) rowOf[i] = r;
  }
  return rowOf;
}

/** Sets `counts` from a count row (or to zeros without one). */
export function readCounts(row: readonly unknown[] | undefined, counts: number[]): void {
  for (let k = 0; k < counts.length; k++) counts[k] = row === undefined ? 0 : Number(row[k + 1]);
}

/** A scanned customer from a row whose JSON columns were read whole (null: not read). */
export function scannedCustomer(
  row: readonly [
    id: string,
    userId: string | null,
    email: string | null,
    phone: string | null,
    timezone: string | null,
    locale: string | null,
    attributes: unknown,
    subscriptions: unknown,
  ],
  parse: (value: unknown) => unknown,
  counts: readonly number[],
): ScannedCustomer {
  const [id, userId, email, phone, timezone, locale, attributes, subscriptions] = row;
  const subs = subscriptions === null ? undefined : (parse(subscriptions) as { channels?: object });
  return {
    id,
    facts: {
      userId,
      email,
      phone,
      timezone,
      locale,
      attributes: attributes === null ? {} : (parse(attributes) as Record<string, unknown>),
      subscriptions: (subs?.channels ?? {}) as CustomerFacts["subscriptions"],
    },
    counts,
  };
}
