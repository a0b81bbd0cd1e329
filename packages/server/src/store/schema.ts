import type { Generated } from "kysely";

/**
 * Table shapes as Kysely sees them. Times are epoch milliseconds; JSON columns are text on
 * SQLite and jsonb on PostgreSQL — read them through `readJson` so both look the same.
 * Every tenant table leads with `business_id` (the sharding key when PostgreSQL scales out).
 */
export interface BusinessesTable {
  id: string;
  name: string;
  plan: string;
  settings: unknown;
  created_at: number;
  /** Bumped by every segment change (see migration 0002). */
  segments_version: Generated<number>;
}

export interface ApiKeysTable {
  business_id: string;
  id: string;
  /** "secret" (management API, Bearer) or "write" (ingestion, public). */
  kind: string;
  name: string;
  /** The first characters of the key, shown in lists so a key can be recognised. */
  prefix: string;
  /** SHA-256 of the whole key; the key itself is shown once and never stored. */
  key_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  created_at: number;
}

export interface MembershipsTable {
  business_id: string;
  user_id: string;
  role: string;
  created_at: number;
}

export interface SessionsTable {
  /** SHA-256 of the cookie token. */
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export interface CustomersTable {
  business_id: string;
  id: string;
  user_id: string | null;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  locale: string | null;
  attributes: unknown;
  /** `{ channel: status, topics?: { topic: { channel: status } } }` */
  subscriptions: unknown;
  /** Channel addresses beyond email/phone: `{ telegram?: { chatId }, push?: [...] }` */
  addresses: unknown;
  created_at: number;
  updated_at: number;
}

export interface CustomerAliasesTable {
  business_id: string;
  anonymous_id: string;
  customer_id: string;
  created_at: number;
}

export interface EventsTable {
  business_id: string;
  id: string;
  customer_id: string;
  /** identify | track | page | screen | group | alias */
  type: string;
  name: string | null;
  properties: unknown;
  context: unknown;
  timestamp: number;
  received_at: number;
  message_id: string;
}

export interface CountersTable {
  business_id: string;
  counter: string;
  selector: unknown;
  created_at: number;
}

export interface EventHitsTable {
  business_id: string;
  customer_id: string;
  counter: string;
  timestamp: number;
  event_id: string;
}

export interface SegmentsTable {
  business_id: string;
  id: string;
  name: string;
  rule: unknown;
  created_at: number;
  updated_at: number;
}

export interface SegmentMembersTable {
  business_id: string;
  segment_id: string;
  customer_id: string;
  since: number;
}

export interface MembershipEventsTable {
  seq: Generated<number>;
  business_id: string;
  segment_id: string;
  customer_id: string;
  /** joined | left */
  change: string;
  at: number;
}

export interface SegmentSizesTable {
  business_id: string;
  segment_id: string;
  /** UTC day number: floor(epoch ms / 86,400,000). */
  day: number;
  size: number;
}

export interface SuppressionsTable {
  business_id: string;
  identity_hash: string;
  created_at: number;
}

export interface CustomerImportsTable {
  business_id: string;
  id: string;
  status: string;
  total_rows: number;
  accepted: number;
  rejected: number;
  report: unknown;
  created_at: number;
  finished_at: number | null;
}

export interface Database {
  businesses: BusinessesTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  customers: CustomersTable;
  customer_aliases: CustomerAliasesTable;
  events: EventsTable;
  counters: CountersTable;
  event_hits: EventHitsTable;
  segments: SegmentsTable;
  segment_members: SegmentMembersTable;
  membership_events: MembershipEventsTable;
  segment_sizes: SegmentSizesTable;
  suppressions: SuppressionsTable;
  customer_imports: CustomerImportsTable;
}
