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
  /** Bumped by every journey status or trigger change (see migration 0003). */
  journeys_version: Generated<number>;
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

/** Recent sign-in attempts of one account or client address (accounts/sign-in-throttle.ts). */
export interface SignInThrottlesTable {
  /** `account:` + normalised email, or `address:` + IPv4 / IPv6 /64. */
  key: string;
  /** Attempts counted: consecutive ones for an account, those of the window for an address. */
  attempts: number;
  window_started_at: number;
  last_attempt_at: number;
  /** No attempt is let through before this instant (0: none). */
  blocked_until: number;
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
  /** PostgreSQL: the writing transaction's id, so the log is read in commit order; SQLite: 0. */
  txid: Generated<number>;
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
  /** When the last batch committed (null for imports recorded before migration 0006). */
  updated_at: number | null;
}

export interface CustomerImportRejectionsTable {
  business_id: string;
  import_id: string;
  /** The spreadsheet row: the header is row 1. */
  row: number;
  code: string;
  reason: string;
}

export interface TemplatesTable {
  business_id: string;
  id: string;
  name: string;
  /** email | sms | whatsapp | telegram | push */
  channel: string;
  /** Per channel: email {subject, body, text?}; sms/telegram {body}; push {title, body, url?}; … */
  content: unknown;
  /** 1 when the template needs no marketing consent (a receipt, a password reset). */
  transactional: number;
  created_at: number;
  updated_at: number;
}

export interface ChannelsTable {
  business_id: string;
  channel: string;
  provider: string;
  /** Provider settings, secrets included (never returned by the API). */
  config: unknown;
  updated_at: number;
}

export interface JourneysTable {
  business_id: string;
  id: string;
  name: string;
  /** draft | active | paused | archived */
  status: string;
  /** The version of `definition`; bumped when an edit is published. */
  version: number;
  /** Activation run; bumped by each activation after a pause (no re-entry within a run). */
  run: number;
  definition: unknown;
  /** The version new entrants get (null until first activated). */
  published_version: number | null;
  created_at: number;
  updated_at: number;
  activated_at: number | null;
  archived_at: number | null;
}

export interface JourneyVersionsTable {
  business_id: string;
  journey_id: string;
  version: number;
  definition: unknown;
  created_at: number;
}

export interface EnrollmentsTable {
  business_id: string;
  id: string;
  journey_id: string;
  version: number;
  run: number;
  customer_id: string;
  /** active | waiting | exited */
  state: string;
  node_id: string | null;
  wait_until: number | null;
  visited: unknown;
  exit_reason: string | null;
  /** The triggering event's properties, for templates (`event.*`). */
  trigger_event: unknown;
  entered_at: number;
  updated_at: number;
}

export interface EnrollmentTrailTable {
  business_id: string;
  enrollment_id: string;
  seq: number;
  at: number;
  entry: unknown;
}

export interface EngineWorkTable {
  id: Generated<number>;
  business_id: string;
  /** enter | wake | left_segment | archive */
  kind: string;
  journey_id: string;
  customer_id: string;
  enrollment_id: string | null;
  run_at: number;
  payload: unknown;
  created_at: number;
}

export interface EngineCursorsTable {
  name: string;
  /** The last seq read. */
  position: number;
  /** PostgreSQL: the txid of the last row read (the log is read in (txid, seq) order). */
  txid: Generated<number>;
}

export interface DeliveriesTable {
  business_id: string;
  id: string;
  /** Unique per business: "<enrollment id>:<node id>" for journey sends. */
  delivery_key: string;
  enrollment_id: string | null;
  journey_id: string | null;
  node_id: string | null;
  customer_id: string;
  channel: string;
  template_id: string;
  /** What the template may read beyond the customer (e.g. the triggering event). */
  context: unknown;
  /** queued | sending | sent | skipped | failed, then from callbacks delivered | opened | clicked | bounced */
  status: string;
  /** Attempts started; the fence a sender must still hold to record its result. */
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  /** The provider's id for the message (the email Message-ID). */
  message_id: string | null;
  /** Why skipped / the last error / the provider's answer. */
  detail: unknown;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

/** A business's send-rate limiter per channel (migration 0012, dispatcher/send-rate.ts). */
export interface SendRatesTable {
  business_id: string;
  channel: string;
  /** The limiter's theoretical arrival time (epoch ms): the next send is due no earlier, less the burst. */
  tat: number;
}

/** Generated once per installation (migration 0004); e.g. "unsubscribe", the link-signing key. */
export interface InstallationSecretsTable {
  name: string;
  value: string;
  created_at: number;
}

export interface Database {
  businesses: BusinessesTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  sign_in_throttles: SignInThrottlesTable;
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
  customer_import_rejections: CustomerImportRejectionsTable;
  templates: TemplatesTable;
  channels: ChannelsTable;
  journeys: JourneysTable;
  journey_versions: JourneyVersionsTable;
  enrollments: EnrollmentsTable;
  enrollment_trail: EnrollmentTrailTable;
  engine_work: EngineWorkTable;
  engine_cursors: EngineCursorsTable;
  deliveries: DeliveriesTable;
  installation_secrets: InstallationSecretsTable;
  send_rates: SendRatesTable;
}
