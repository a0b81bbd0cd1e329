import { type Kysely, sql } from "kysely";
import type { Database } from "../store/schema";
import { unflushed } from "../store/sqlite/wal-sync";
import type { Store } from "../store/store";
import { batchedWriter } from "./batched-writer";
import { kyselyWriter } from "./kysely-writer";
import { sqliteWriter } from "./sqlite-writer";
import type { CustomerWriter } from "./writer";

/**
 * Runs `work` in one transaction with the business's CustomerWriter, and commits only if it
 * resolves. On SQLite it holds Kysely's single connection for the duration (so no other query
 * can slip into the transaction) and takes the write lock at BEGIN IMMEDIATE; it commits
 * unflushed and resolves after `syncLog`, so it is durable without blocking the event loop
 * for the fsync. On PostgreSQL,
 * where many processes write at once, it shares the business row (segment edits lock it) and
 * the writer locks each customer it reads, so writes to one customer take turns. `db` runs
 * other queries inside the same transaction (a query through `store.db` would wait for the
 * connection until this transaction ends).
 *
 * `batched` (PostgreSQL; ingestion): the writer reads ahead and holds its appends until `work`
 * resolves (see batched-writer.ts), so `work` must not read those tables through `db`.
 *
 * @example
 *   await withCustomerWriter(store, businessId, async (w) => { await w.insertEvent(event); });
 */
export async function withCustomerWriter<T>(
  store: Store,
  businessId: string,
  work: (writer: CustomerWriter, db: Kysely<Database>) => Promise<T>,
  options: { batched?: boolean } = {},
): Promise<T> {
  if (store.dialect === "postgres") {
    return store.db.transaction().execute(async (trx) => {
      // A key-share lock on the business row: other profile writes and plain updates of the row
      // (a plan change, a journey activation) go on; segment edits, recomputes and sweeps lock it
      // outright (see withSegmentTransaction), so they never interleave with profile writes.
      await trx.selectFrom("businesses").select("id").where("id", "=", businessId).forKeyShare().execute();
      if (!options.batched) return work(kyselyWriter(trx, businessId), trx);
      const writer = batchedWriter(trx, businessId);
      const result = await work(writer, trx);
      await writer.flush();
      return result;
    });
  }
  const raw = store.raw;
  const result = await store.db.connection().execute(async (conn) => {
    await sql`select 1`.execute(conn); // the connection is now ours until this callback returns
    return unflushed(raw, async () => {
      raw.exec("begin immediate");
      try {
        const result = await work(sqliteWriter(raw, businessId), conn);
        raw.exec("commit");
        return result;
      } catch (error) {
        if (raw.inTransaction) raw.exec("rollback");
        throw error;
      }
    });
  });
  // Durable before it resolves, but the fsync runs off the event loop (and the connection is
  // free for the next transaction meanwhile).
  await store.syncLog();
  return result;
}
