import { sql } from "kysely";
import { rateLimited } from "../errors";
import { expandIpv6 } from "../outbound/addresses";
import type { Resources } from "../resources";

/**
 * How many sign-ins an account and a client address may try.
 *
 * - An account (by email, whether or not a user has it, so the answers do not tell) gets 4
 *   attempts in a row freely; from the 5th each attempt makes the next wait 1 s, then 2 s, 4 s,
 *   … up to 15 minutes. A right password clears the count; a day without attempts forgets it.
 *   So 560 guesses in a row take about five days instead of a minute.
 * - A client address (IPv4, or the /64 of IPv6 — one customer's allocation) gets 50 attempts
 *   that did not succeed per 15 minutes across every account, then waits for the window's end.
 *
 * An attempt is counted before its password is checked, in one statement that also refuses it
 * while the key is blocked, so a burst of parallel guesses (in one process or many) cannot
 * slip past the count.
 */
export const SIGN_IN_LIMITS = {
  accountFreeAttempts: 4,
  accountFirstWaitMs: 1_000,
  accountMaxWaitMs: 15 * 60_000,
  accountForgetMs: 24 * 3_600_000,
  addressAttempts: 50,
  addressWindowMs: 15 * 60_000,
} as const;

const L = SIGN_IN_LIMITS;

/**
 * Counts a sign-in attempt for the email and the client address, or throws 429
 * `too_many_sign_ins` (with Retry-After) when either must wait.
 */
export async function admitSignIn(r: Resources, email: string, clientIp: string): Promise<void> {
  const now = r.clock.now();
  const address = addressKey(clientIp);
  if (!(await countAddressAttempt(r, address, now))) {
    throw rateLimited(
      "too_many_sign_ins",
      `too many sign-in attempts from this address (${L.addressAttempts} per ${L.addressWindowMs / 60_000} minutes)`,
      await waitLeft(r, address, now),
    );
  }
  const account = accountKey(email);
  if (!(await countAccountAttempt(r, account, now))) {
    throw rateLimited(
      "too_many_sign_ins",
      "too many wrong passwords in a row for this account",
      await waitLeft(r, account, now),
    );
  }
}

/** A right password: the account's count starts over, and the address gets its attempt back. */
export async function signInSucceeded(r: Resources, email: string, clientIp: string): Promise<void> {
  await r.store.db.deleteFrom("sign_in_throttles").where("key", "=", accountKey(email)).execute();
  await r.store.db
    .updateTable("sign_in_throttles")
    .set({
      attempts: sql`attempts - 1`,
      blocked_until: sql`case when attempts - 1 >= ${L.addressAttempts} then blocked_until else 0 end`,
    })
    .where("key", "=", addressKey(clientIp))
    .where("attempts", ">", 0)
    .execute();
}

/** Deletes what no limit needs any more (idle a day); the worker calls this now and then. */
export async function sweepSignInThrottles(r: Resources): Promise<number> {
  const now = r.clock.now();
  const result = await r.store.db
    .deleteFrom("sign_in_throttles")
    .where("last_attempt_at", "<=", now - L.accountForgetMs)
    .where("blocked_until", "<=", now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export const accountKey = (email: string) => `account:${email.trim().toLowerCase()}`;

/** `address:` + the IPv4 address, or + the first 64 bits of an IPv6 one. */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return `address:${mapped[1]}`;
  if (!ip.includes(":")) return `address:${ip}`;
  const groups = expandIpv6(ip.split("%")[0]!);
  if (!groups) return `address:${ip}`;
  return `address:${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

/** The wait after the n-th attempt in a row: none for the free ones, then doubling. */
export function accountWaitMs(attempt: number): number {
  if (attempt <= L.accountFreeAttempts) return 0;
  const doublings = attempt - L.accountFreeAttempts - 1;
  return Math.min(L.accountMaxWaitMs, L.accountFirstWaitMs * 2 ** Math.min(doublings, 30));
}

const T = "sign_in_throttles";
const ref = (column: string) => sql.ref(`${T}.${column}`);
/** A parameter PostgreSQL types as bigint (untyped, in a CASE beside literals, it guesses integer). */
const big = (n: number) => sql<number>`cast(${n} as bigint)`;

async function countAccountAttempt(r: Resources, key: string, now: number): Promise<boolean> {
  // The attempt's number: 1 after a day without attempts, else one more than before.
  const attempt = sql<number>`case when ${ref("last_attempt_at")} <= ${big(now - L.accountForgetMs)} then 1 else ${ref("attempts")} + 1 end`;
  // The wait it sets, as a case over attempt numbers (the same in both databases' SQL).
  const waits: ReturnType<typeof sql>[] = [];
  for (let n = L.accountFreeAttempts + 1; accountWaitMs(n) < L.accountMaxWaitMs; n++) {
    waits.push(sql`when ${sql.lit(n)} then ${sql.lit(accountWaitMs(n))}`);
  }
  const wait = sql<number>`case ${attempt} when 0 then 0 ${sql.join(waits, sql` `)} else ${sql.lit(L.accountMaxWaitMs)} end`;
  const blockFrom = sql<number>`case when ${attempt} <= ${sql.lit(L.accountFreeAttempts)} then 0 else ${big(now)} + ${wait} end`;
  return admitted(r, key, now, accountWaitMs(1), {
    attempts: attempt,
    window_started_at: big(now),
    blocked_until: blockFrom,
  });
}

async function countAddressAttempt(r: Resources, key: string, now: number): Promise<boolean> {
  const fresh = sql<boolean>`${ref("window_started_at")} <= ${big(now - L.addressWindowMs)}`;
  const attempt = sql<number>`case when ${fresh} then 1 else ${ref("attempts")} + 1 end`;
  const start = sql<number>`case when ${fresh} then ${big(now)} else ${ref("window_started_at")} end`;
  return admitted(r, key, now, 0, {
    attempts: attempt,
    window_started_at: start,
    blocked_until: sql<number>`case when ${attempt} >= ${sql.lit(L.addressAttempts)} then ${start} + ${sql.lit(L.addressWindowMs)} else 0 end`,
  });
}

/** Counts the attempt unless the key is blocked now; false when it is. */
async function admitted(
  r: Resources,
  key: string,
  now: number,
  firstWait: number,
  next: { attempts: unknown; window_started_at: unknown; blocked_until: unknown },
): Promise<boolean> {
  const row = await r.store.db
    .insertInto(T)
    .values({
      key,
      attempts: 1,
      window_started_at: now,
      last_attempt_at: now,
      blocked_until: firstWait > 0 ? now + firstWait : 0,
    })
    .onConflict((oc) =>
      oc
        .column("key")
        .doUpdateSet({
          attempts: next.attempts as never,
          window_started_at: next.window_started_at as never,
          last_attempt_at: now,
          blocked_until: next.blocked_until as never,
        })
        .where(ref("blocked_until"), "<=", now),
    )
    .returning("key")
    .executeTakeFirst();
  return row !== undefined;
}

async function waitLeft(r: Resources, key: string, now: number): Promise<number> {
  const row = await r.store.db
    .selectFrom(T)
    .select("blocked_until")
    .where("key", "=", key)
    .executeTakeFirst();
  return Math.max(1, (Number(row?.blocked_until ?? now) - now) / 1000);
}
