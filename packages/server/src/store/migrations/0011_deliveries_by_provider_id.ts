import type { Kysely } from "kysely";
import type { DialectName } from "../store";

/**
 * Provider callbacks (Twilio status, WhatsApp statuses, email bounces) name a delivery by the
 * provider's message id; this index finds it (dispatcher/tracking.ts).
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createIndex("deliveries_provider_message")
    .on("deliveries")
    .columns(["business_id", "message_id"])
    .execute();
}
