import type { Kysely } from "kysely";
import type { DialectName } from "../store";

/**
 * A business's send-rate limit per channel (settings.sendRates) is one row per business and
 * channel holding the limiter's theoretical arrival time (GCRA, dispatcher/send-rate.ts): every
 * worker process shares it through the store, so N workers together keep to the rate.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable("send_rates")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("channel", "text", (c) => c.notNull())
    .addColumn("tat", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("send_rates_pk", ["business_id", "channel"])
    .execute();
}
