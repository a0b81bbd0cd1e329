import { type Kysely, sql } from "kysely";
import type { DialectName } from "../store";

/**
 * The membership log is read in commit order on PostgreSQL. A `seq` is taken when a row is
 * inserted, but becomes visible when its transaction commits, and many processes write at once:
 * a long transaction (a large ingestion group, a recompute) made the reader step over its rows,
 * once newer seqs committed around them. Each row now records its transaction id (`txid`,
 * `pg_current_xact_id()`). The reader takes rows in (txid, seq) order, and only from
 * transactions older than every one still running (`pg_snapshot_xmin`): no row can appear
 * behind its cursor later. The cursor remembers the txid too.
 *
 * SQLite has one writer, so its seq order is its commit order; the columns exist (0) so both
 * stores share one schema.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable("engine_cursors")
    .addColumn("txid", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();
  if (dialect === "sqlite") {
    await db.schema
      .alterTable("membership_events")
      .addColumn("txid", "bigint", (c) => c.notNull().defaultTo(0))
      .execute();
    return;
  }
  // Rows already in the log share this migration's txid; the cursor takes it too, so the
  // (txid, seq) order resumes exactly where the seq order stopped.
  await sql`alter table membership_events add column txid bigint not null default (pg_current_xact_id()::text::bigint)`.execute(
    db,
  );
  await sql`create index membership_events_commit_order on membership_events (txid, seq)`.execute(db);
  await sql`update engine_cursors set txid = pg_current_xact_id()::text::bigint`.execute(db);
}
