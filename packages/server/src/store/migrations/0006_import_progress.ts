import type { Kysely } from "kysely";
import type { DialectName } from "../store";

/**
 * A CSV import records its progress with every batch, in the batch's own transaction: the
 * counts and `updated_at` on `customer_imports`, each rejected row in
 * `customer_import_rejections`. A server killed mid-import so leaves a record that matches
 * what was applied, and a `running` import that stops moving can be told interrupted.
 * (Rejected rows lived in the report JSON, rewritten once at the end; imports recorded so keep
 * them there.)
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable("customer_imports").addColumn("updated_at", "bigint").execute();
  await db.schema
    .createTable("customer_import_rejections")
    .addColumn("business_id", "text", (c) => c.notNull())
    .addColumn("import_id", "text", (c) => c.notNull())
    .addColumn("row", "bigint", (c) => c.notNull())
    .addColumn("code", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("customer_import_rejections_pk", ["business_id", "import_id", "row"])
    .execute();
}
