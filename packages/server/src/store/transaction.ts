import type { Kysely } from "kysely";
import type { Database } from "./schema";
import type { Store } from "./store";

/**
 * A write transaction on `store` whose commit is flushed to disk, or not
 * (`Store.unflushedTransaction`), as the caller decides at run time.
 *
 * @example await writeTransaction(store, { flushed: false }, (trx) => trx.insertInto("…").values(…).execute());
 */
export function writeTransaction<T>(
  store: Store,
  options: { flushed: boolean },
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return options.flushed ? store.db.transaction().execute(work) : store.unflushedTransaction(work);
}
