import { type Kysely, sql } from "kysely";
import type { DialectName } from "../store";

/**
 * The outbox's claim index holds only the deliveries a claim can take (`queued`, and `sending`
 * for expired leases), ordered by when they are due. The index on (status, next_attempt_at) it
 * replaces held every delivery ever sent, and a claim over two statuses read every due row of
 * both and sorted them before taking a batch: claims grew with the backlog (26 ms for 200 rows
 * behind a few thousand on PostgreSQL). Now a claim reads its batch in index order, and a
 * delivery leaves the index when it is sent instead of getting a new entry.
 *
 * Queries that should use it include its predicate word for word (`CLAIMABLE`,
 * store/claimable.ts): SQLite uses a partial index only when the query's WHERE contains the
 * index's terms.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await sql`drop index deliveries_due`.execute(db);
  await sql`create index deliveries_claimable on deliveries (next_attempt_at) where status in ('queued', 'sending')`.execute(
    db,
  );
}
