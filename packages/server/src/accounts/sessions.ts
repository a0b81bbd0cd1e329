import { randomBytes } from "node:crypto";
import type { Resources } from "../resources";
import { hashKey } from "./api-keys";
import type { User } from "./users";

/** UI sessions: an opaque cookie token; the store keeps only its SHA-256. */
export const SESSION_TTL_MS = 14 * 24 * 3_600_000;

export async function createSession(
  r: Resources,
  userId: string,
): Promise<{ token: string; expiresAt: number }> {
  const token = randomBytes(32).toString("base64url");
  const now = r.clock.now();
  const expiresAt = now + SESSION_TTL_MS;
  await r.store.db
    .insertInto("sessions")
    .values({ token_hash: hashKey(token), user_id: userId, created_at: now, expires_at: expiresAt })
    .execute();
  return { token, expiresAt };
}

/** The signed-in user for a cookie token, or null when unknown or expired. */
export async function resolveSession(r: Resources, token: string): Promise<User | null> {
  const row = await r.store.db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select(["users.id", "users.email", "users.created_at", "sessions.expires_at"])
    .where("sessions.token_hash", "=", hashKey(token))
    .executeTakeFirst();
  if (!row || Number(row.expires_at) <= r.clock.now()) return null;
  return { id: row.id, email: row.email, createdAt: Number(row.created_at) };
}

export async function endSession(r: Resources, token: string): Promise<void> {
  await r.store.db.deleteFrom("sessions").where("token_hash", "=", hashKey(token)).execute();
}

/** Deletes expired sessions; the worker calls this now and then. */
export async function sweepSessions(r: Resources): Promise<number> {
  const result = await r.store.db
    .deleteFrom("sessions")
    .where("expires_at", "<=", r.clock.now())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
