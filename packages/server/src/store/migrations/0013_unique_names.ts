import { type Kysely, sql } from "kysely";
import type { DialectName } from "../store";

/**
 * Names of segments, templates and live journeys are unique per business, without case
 * (names/unique-names.ts). Names that clash today are made distinct first by appending the
 * object's id to every copy after the oldest, then the unique indexes hold the rule. `lower()`
 * folds ASCII on SQLite and all of Unicode on PostgreSQL; the service's check uses the same
 * expression, so each store agrees with itself.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  for (const table of ["segments", "templates", "journeys"]) {
    const live = table === "journeys" ? sql` and t.status <> 'archived' and o.status <> 'archived'` : sql``;
    await sql`update ${sql.table(table)} as t set name = t.name || ' (' || t.id || ')'
      where exists (select 1 from ${sql.table(table)} as o
        where o.business_id = t.business_id and lower(o.name) = lower(t.name) and o.id < t.id${live})`.execute(
      db,
    );
  }
  await sql`create unique index segments_name on segments (business_id, lower(name))`.execute(db);
  await sql`create unique index templates_name on templates (business_id, lower(name))`.execute(db);
  await sql`create unique index journeys_name on journeys (business_id, lower(name)) where status <> 'archived'`.execute(
    db,
  );
}
