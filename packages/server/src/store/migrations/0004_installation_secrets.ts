import type { Kysely } from "kysely";
import type { DialectName } from "../store";

/**
 * Secrets of this installation, generated once by the first process that needs them and then
 * shared by every API and worker process on the same database — e.g. `unsubscribe`, the HMAC
 * key that signs the unsubscribe links in emails (a link must stay valid across restarts).
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable("installation_secrets")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
}
