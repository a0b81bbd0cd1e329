import type { Kysely } from "kysely";
import type { DialectName } from "../store";

/**
 * Sign-in throttling (accounts/sign-in-throttle.ts): one row per account (`account:` + email)
 * and per client address (`address:` + IPv4, or IPv6 /64) that tried to sign in lately. It is
 * in the store, not in memory, so every API process behind a load balancer counts the same
 * attempts and a restart does not reset them. The worker deletes rows idle for a day.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable("sign_in_throttles")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("attempts", "bigint", (c) => c.notNull())
    .addColumn("window_started_at", "bigint", (c) => c.notNull())
    .addColumn("last_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("blocked_until", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("sign_in_throttles_idle")
    .on("sign_in_throttles")
    .column("last_attempt_at")
    .execute();
}
