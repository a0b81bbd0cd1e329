import type { Kysely } from "kysely";
import type { Database } from "./schema";
import type { Store } from "./store";
import { writeTransaction } from "./transaction";

/**
 * Group commit: items submitted while a transaction is committing wait and go into the next
 * one together — one commit (one fsync with `synchronous=FULL`, one round trip of BEGIN and
 * COMMIT on PostgreSQL) for many. `writeAll` writes a whole group in one transaction (on the
 * store it is given, for hot paths with prepared statements) and answers each item in order;
 * each caller resolves only after its own item is committed — durable, unless the group commits
 * with `flushed: false` (`Store.unflushedTransaction`). If a group fails, its items are written
 * again one by one, so one failure cannot fail the others.
 *
 * States: idle → lingering (2 ms; items queue) → committing (new items queue) → idle when the
 * queue is empty.
 *
 * @example
 *   const record = groupCommit<Row, boolean>(async (db, rows) => rows.map(…));
 *   await record(store, row);
 */
export function groupCommit<I, R>(
  writeAll: (db: Kysely<Database>, items: I[], store: Store) => Promise<R[]>,
  options: { flushed: boolean } = { flushed: true },
): (store: Store, item: I) => Promise<R> {
  const groups = new WeakMap<Store, Group<I, R>>();
  return (store, item) => {
    let group = groups.get(store);
    if (!group) {
      group = { queue: [], committing: false };
      groups.set(store, group);
    }
    const g = group;
    return new Promise<R>((resolve, reject) => {
      g.queue.push({ item, resolve, reject });
      if (!g.committing) {
        // Linger a moment so items that arrive close together (sends finishing one after
        // another) share a commit: SQLite commits block the event loop, so without this they
        // would rarely overlap.
        g.committing = true;
        setTimeout(() => void drain(store, g, writeAll, options.flushed), LINGER_MS);
      }
    });
  };
}

/**
 * Group commit for small writes of any kind: each `work` runs in turn in the group's
 * transaction. The dispatcher's fence checks go through here.
 *
 * @example await groupWrite(store, (db) => db.updateTable("deliveries").set({ … }).where(…).execute());
 */
export function groupWrite<T>(store: Store, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return inTurn(store, work) as Promise<T>;
}

const inTurn = groupCommit<(db: Kysely<Database>) => Promise<unknown>, unknown>(async (db, works) => {
  const out: unknown[] = [];
  for (const work of works) out.push(await work(db));
  return out;
});

const MAX_GROUP = 500;
const LINGER_MS = 2;

interface Group<I, R> {
  queue: { item: I; resolve: (value: R) => void; reject: (error: unknown) => void }[];
  committing: boolean;
}

async function drain<I, R>(
  store: Store,
  g: Group<I, R>,
  writeAll: (db: Kysely<Database>, items: I[], store: Store) => Promise<R[]>,
  flushed: boolean,
): Promise<void> {
  const transaction = <T>(work: (trx: Kysely<Database>) => Promise<T>) =>
    writeTransaction(store, { flushed }, work);
  g.committing = true;
  try {
    while (g.queue.length > 0) {
      const jobs = g.queue.splice(0, MAX_GROUP);
      try {
        const results = await transaction((trx) =>
          writeAll(
            trx,
            jobs.map((job) => job.item),
            store,
          ),
        );
        jobs.forEach((job, i) => {
          job.resolve(results[i]!);
        });
      } catch {
        for (const job of jobs) {
          try {
            job.resolve((await transaction((trx) => writeAll(trx, [job.item], store)))[0]!);
          } catch (error) {
            job.reject(error);
          }
        }
      }
    }
  } finally {
    g.committing = false;
  }
}
