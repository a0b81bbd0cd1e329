import { createHash } from "node:crypto";
import { JourneysError, notFound } from "../errors";
import { randomBase32 } from "../ids";
import type { Resources } from "../resources";
import { keyCacheOf } from "./key-cache";

/**
 * Secret keys (`sk_…`) authenticate the management API as a Bearer token; write keys (`wk_…`)
 * are public and only allow ingestion. Only a SHA-256 of a key is stored: the key is shown
 * once, at creation. Keys carry 160 random bits, so a fast hash is enough (no password KDF).
 */
export type ApiKeyKind = "secret" | "write";

export interface ApiKey {
  id: string;
  businessId: string;
  kind: ApiKeyKind;
  name: string;
  /** The visible start of the key, e.g. "sk_4f9a2c", to recognise it in a list. */
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const KIND_PREFIX: Record<ApiKeyKind, string> = { secret: "sk_", write: "wk_" };
const VISIBLE = 9;
/** last_used_at is written at most this often per key, so reads do not become writes. */
const TOUCH_EVERY_MS = 60_000;

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function keyKind(key: string): ApiKeyKind | null {
  if (key.startsWith(KIND_PREFIX.secret)) return "secret";
  if (key.startsWith(KIND_PREFIX.write)) return "write";
  return null;
}

export async function createApiKey(
  r: Resources,
  businessId: string,
  input: { kind: ApiKeyKind; name?: string },
): Promise<{ apiKey: ApiKey; key: string }> {
  const key = KIND_PREFIX[input.kind] + randomBase32(32);
  const apiKey: ApiKey = {
    id: r.newId("key"),
    businessId,
    kind: input.kind,
    name: input.name?.trim() || (input.kind === "secret" ? "Secret key" : "Write key"),
    prefix: key.slice(0, VISIBLE),
    createdAt: r.clock.now(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await r.store.db
    .insertInto("api_keys")
    .values({
      business_id: businessId,
      id: apiKey.id,
      kind: apiKey.kind,
      name: apiKey.name,
      prefix: apiKey.prefix,
      key_hash: hashKey(key),
      created_at: apiKey.createdAt,
      last_used_at: null,
      revoked_at: null,
    })
    .execute();
  return { apiKey, key };
}

export async function listApiKeys(r: Resources, businessId: string): Promise<ApiKey[]> {
  const rows = await r.store.db
    .selectFrom("api_keys")
    .selectAll()
    .where("business_id", "=", businessId)
    .orderBy("id")
    .execute();
  return rows.map(toApiKey);
}

export async function revokeApiKey(r: Resources, businessId: string, keyId: string): Promise<ApiKey> {
  const row = await r.store.db
    .selectFrom("api_keys")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("id", "=", keyId)
    .executeTakeFirst();
  if (!row) throw notFound("API key");
  if (row.revoked_at === null) {
    await r.store.db
      .updateTable("api_keys")
      .set({ revoked_at: r.clock.now() })
      .where("business_id", "=", businessId)
      .where("id", "=", keyId)
      .execute();
  }
  keyCacheOf(r.store).forget(keyId);
  const after = await r.store.db
    .selectFrom("api_keys")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("id", "=", keyId)
    .executeTakeFirstOrThrow();
  return toApiKey(after);
}

/**
 * The business a presented key belongs to, or null when the key is unknown, revoked or of
 * another kind. Callers turn null into 401 without saying which, so keys cannot be probed.
 */
export async function authenticateKey(
  r: Resources,
  key: string,
  kind: ApiKeyKind,
): Promise<{ businessId: string; keyId: string } | null> {
  if (keyKind(key) !== kind) return null;
  const hash = hashKey(key);
  const cache = keyCacheOf(r.store);
  let known = cache.get(hash);
  if (!known) {
    // Through the reader: on the embedded store a key check would otherwise wait behind whole
    // ingestion transactions for the one write connection.
    const row = await r.store.reader
      .selectFrom("api_keys")
      .select(["business_id", "id", "revoked_at", "last_used_at"])
      .where("key_hash", "=", hash)
      .executeTakeFirst();
    if (!row) return null;
    known = {
      businessId: row.business_id,
      keyId: row.id,
      revoked: row.revoked_at !== null,
      lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    };
    cache.set(hash, known);
  }
  if (known.revoked) return null;
  const now = r.clock.now();
  if (known.lastUsedAt === null || now - known.lastUsedAt >= TOUCH_EVERY_MS) {
    known.lastUsedAt = now;
    await r.store.db
      .updateTable("api_keys")
      .set({ last_used_at: now })
      .where("business_id", "=", known.businessId)
      .where("id", "=", known.keyId)
      .execute();
  }
  return { businessId: known.businessId, keyId: known.keyId };
}

export function assertKeyKind(kind: string): ApiKeyKind {
  if (kind === "secret" || kind === "write") return kind;
  throw new JourneysError("bad_request", "invalid_key_kind", 'kind must be "secret" or "write"');
}

function toApiKey(row: {
  business_id: string;
  id: string;
  kind: string;
  name: string;
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}): ApiKey {
  return {
    id: row.id,
    businessId: row.business_id,
    kind: assertKeyKind(row.kind),
    name: row.name,
    prefix: row.prefix,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
