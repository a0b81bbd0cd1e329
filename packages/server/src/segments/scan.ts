import type { Channel, CustomerFacts } from "@journeys/core";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";

/**
 * What of each customer a scan must decode: the attributes (built-in or custom) and the
 * subscription channels the rules read. A scan may leave everything else out of the facts
 * (null / absent), because reading and decoding columns is most of the cost of a full scan.
 */
export interface ScanNeeds {
  attributes: readonly string[];
  subscriptions: readonly Channel[];
}

/** A customer as a scan yields it: the evaluator's facts plus what a summary shows. */
export interface ScannedCustomer {
  id: string;
  facts: CustomerFacts;
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
 * million customers in about a second), `kysely-scan.ts` with Kysely (PostgreSQL, and the
 * reference the SQLite one is tested against). Open one with `withSegmentTransaction`.
 */
export interface MembershipScan {
  readonly businessId: string;
  /** The transaction, for everything that is not bulk. */
  readonly db: Kysely<Database>;
  /**
   * Calls `visit` for every customer of the business, in id order. `visit` is synchronous and
   * must not use the store (SQLite's connection is busy while it iterates).
   */
  customers(needs: ScanNeeds, visit: (customer: ScannedCustomer) => void): Promise<void>;
  /** Hits of `counter` per customer with timestamp ≥ since (all when since is null); zeros absent. */
  hitCounts(counter: string, since: number | null): Promise<Map<string, number>>;
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

/** Facts from a row whose JSON columns were read whole (null: not read). */
export function scannedCustomer(
  row: readonly [string, string | null, string | null, string | null, string | null, unknown, unknown],
  parse: (value: unknown) => unknown,
): ScannedCustomer {
  const [id, userId, email, phone, timezone, attributes, subscriptions] = row;
  const subs = subscriptions === null ? undefined : (parse(subscriptions) as { channels?: object });
  return {
    id,
    facts: {
      userId,
      email,
      phone,
      timezone,
      attributes: attributes === null ? {} : (parse(attributes) as Record<string, unknown>),
      subscriptions: (subs?.channels ?? {}) as CustomerFacts["subscriptions"],
    },
  };
}
