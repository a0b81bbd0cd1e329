import type { Database } from "../store/schema";
import type { Customer } from "./customer";

/** Tables whose rows belong to one customer: keyed by (business_id, customer_id). */
export type CustomerDataTable = {
  [K in keyof Database]: Database[K] extends { business_id: string; customer_id: string } ? K : never;
}[keyof Database];

/** An event as stored: append-only, de-duplicated by `messageId` per business. */
export interface StoredEvent {
  id: string;
  customerId: string;
  type: "identify" | "track" | "page" | "screen" | "group" | "alias";
  name: string | null;
  properties: Record<string, unknown>;
  context: Record<string, unknown> | null;
  timestamp: number;
  receivedAt: number;
  messageId: string;
  /** The message had no messageId and this one was made up for it: no stored event has it. */
  generatedMessageId?: boolean;
}

/**
 * The writes of customers, events and memberships for ONE business inside ONE transaction.
 * The write path (ingestion, API updates, CSV import, the sweep) is written once against this
 * port; `sqlite-writer.ts` implements it with prepared statements (the embedded hot path) and
 * `kysely-writer.ts` with Kysely (PostgreSQL, and the reference the SQLite one is tested
 * against). Open one with `withCustomerWriter`.
 */
/**
 * What a group of messages will ask the writer for, so a writer whose reads are round trips
 * (PostgreSQL) can read it all in a few set queries first.
 */
export interface ReadAhead {
  messageIds: string[];
  userIds: string[];
  anonymousIds: string[];
  emails: string[];
  /** Suppression hashes of the identities that may be new customers (see suppression.ts). */
  identityHashes: string[];
  /** Every counter the business's rules read → the most hits any rule needs to see. */
  counterCaps: ReadonlyMap<string, number>;
}

export interface CustomerWriter {
  readonly businessId: string;
  /** Optional: reads ahead what the next calls will ask (a hint; every read works without it). */
  readAhead?(ahead: ReadAhead): Promise<void>;
  customerById(id: string): Promise<Customer | null>;
  customerByUserId(userId: string): Promise<Customer | null>;
  customerByEmail(email: string): Promise<Customer | null>;
  customerByAlias(anonymousId: string): Promise<Customer | null>;
  insertCustomer(customer: Customer): Promise<void>;
  updateCustomer(customer: Customer): Promise<void>;
  /** Deletes the customer row, its aliases, hits and memberships rows (no membership events). */
  deleteCustomer(id: string): Promise<void>;
  addAlias(anonymousId: string, customerId: string, at: number): Promise<void>;
  /** Moves events, hits and aliases of `fromId` to `intoId` (a merge). */
  moveCustomerData(fromId: string, intoId: string): Promise<void>;
  hasMessage(messageId: string): Promise<boolean>;
  /** False when an event with this messageId is already stored (nothing written). */
  insertEvent(event: StoredEvent): Promise<boolean>;
  insertHit(customerId: string, counter: string, timestamp: number, eventId: string): Promise<void>;
  /**
   * Hits of `counter` for the customer in each window — timestamp ≥ since, every hit when
   * since is null — one count per entry of `sinces`, exact up to `cap`: one index range scan
   * reads only the newest `cap` hits, so a customer with a long history costs what the rules
   * ask ("at least 3 times" needs to see 4 hits at most), not what the customer did. A count
   * of `cap` means "cap or more".
   */
  countHits(
    customerId: string,
    counter: string,
    sinces: readonly (number | null)[],
    cap: number,
  ): Promise<number[]>;
  memberships(customerId: string): Promise<Set<string>>;
  /** Adds a member and appends `joined` to the membership log. */
  join(segmentId: string, customerId: string, at: number): Promise<void>;
  /** Removes a member and appends `left` to the membership log. */
  leave(segmentId: string, customerId: string, at: number): Promise<void>;
  /** Deletes the trail of every enrollment of the customer (keyed by enrollment, not customer). */
  purgeEnrollmentTrail(customerId: string): Promise<number>;
  /** Deletes every row of `table` that belongs to the customer; resolves to how many. */
  purgeCustomerRows(table: CustomerDataTable, customerId: string): Promise<number>;
  /** Queues engine work (e.g. an event-triggered journey entry) in this transaction. */
  enqueueWork(work: {
    kind: "enter";
    journeyId: string;
    customerId: string;
    runAt: number;
    payload: unknown;
  }): Promise<void>;
  isSuppressed(identityHash: string): Promise<boolean>;
  /** Keeps an erased identity's hash (idempotent). */
  suppress(identityHash: string, at: number): Promise<void>;
  /**
   * The business's customers, read before creating one (the plan limit). On PostgreSQL it
   * also takes the business's customer-creation lock until the transaction ends.
   */
  customerCount(): Promise<number>;
}
