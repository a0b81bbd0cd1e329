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

export interface Database {
  businesses: BusinessesTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
}
