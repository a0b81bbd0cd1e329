import { jsonShapeProblem } from "@journeys/core";
import { type Kysely, sql } from "kysely";
import type { DialectName } from "../store";

/** As `LIMITS.attributesDepth` (customers/profile.ts) was when this migration landed. */
const ATTRIBUTES_DEPTH = 32;

/**
 * Before input was checked for depth, an identify could store traits nested 1,000 levels or
 * more. SQLite's JSON functions refuse such a document ("malformed JSON"), so every segment scan
 * and attribute filter of that business failed until the customer was erased. This removes, from
 * each customer whose attributes SQLite cannot read, the attributes input now refuses with 400
 * (nested deeper than it allows, or holding U+0000); the rest of the profile stays. PostgreSQL reads
 * such documents, and its copies are left as they are.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect !== "sqlite") return;
  await repairUnreadableAttributes(db);
}

/** The repair itself, exported so a test can run it on rows written after the migration. */
export async function repairUnreadableAttributes(db: Kysely<unknown>): Promise<number> {
  const rows = await sql<{ business_id: string; id: string; attributes: string }>`
    select business_id, id, attributes from customers where json_valid(attributes) = 0`.execute(db);
  for (const row of rows.rows) {
    const attributes = JSON.parse(row.attributes) as Record<string, unknown>;
    for (const [name, value] of Object.entries(attributes)) {
      if (jsonShapeProblem({ [name]: value }, { maxDepth: ATTRIBUTES_DEPTH })) delete attributes[name];
    }
    await sql`update customers set attributes = ${JSON.stringify(attributes)}
      where business_id = ${row.business_id} and id = ${row.id}`.execute(db);
  }
  return rows.rows.length;
}
