import { sql } from "kysely";
import type { Store } from "../store/store";
import { kyselyScan } from "./kysely-scan";
import type { MembershipScan } from "./scan";
import { sqliteScan } from "./sqlite-scan";

/**
 * Runs `work` in one transaction with the business's MembershipScan, committing only if it
 * resolves. Segment edits of one business are serialised: SQLite takes the write lock at
 * BEGIN IMMEDIATE (holding Kysely's single connection, as `withCustomerWriter` does);
 * PostgreSQL locks the business row, so two edits cannot both pass the plan limit.
 * `readOnly` (a preview) takes neither lock.
 *
 * @example
 *   await withSegmentTransaction(store, businessId, (scan) => recompute(scan, …));
 */
export async function withSegmentTransaction<T>(
  store: Store,
  businessId: string,
  work: (scan: MembershipScan) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  if (store.dialect === "postgres") {
    return store.db.transaction().execute(async (trx) => {
      if (!options.readOnly) {
        await trx.selectFrom("businesses").select("id").where("id", "=", businessId).forUpdate().execute();
      }
      return work(kyselyScan(trx, businessId));
    });
  }
  const raw = store.raw;
  return store.db.connection().execute(async (conn) => {
    await sql`select 1`.execute(conn); // the connection is now ours until this callback returns
    raw.exec(options.readOnly ? "begin" : "begin immediate");
    try {
      const result = await work(sqliteScan(raw, conn, businessId));
      raw.exec("commit");
      return result;
    } catch (error) {
      if (raw.inTransaction) raw.exec("rollback");
      throw error;
    }
  });
}
