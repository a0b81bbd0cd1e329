import type { Kysely } from "kysely";
import type { Database } from "./schema";
import type { Store } from "./store";

type Job = {
  work: (db: Kysely<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
};

/**
 * Group commit for small writes: a write asked for while a transaction is committing waits
 * and goes into the next one together with every other waiting write — one commit (one fsync
 * with `synchronous=FULL`) for many. Each caller still resolves only after its own write is
 * durable. If a group fails, its writes are retried one by one so one failure cannot fail the
 * others. The dispatcher's per-delivery fence checks and records go through here.
 *
 * States: idle → lingering (2 ms; writes queue) → committing (new writes queue) → idle when
 * the queue is empty.
 *
 * @example await groupWrite(store, (db) => db.updateTable("deliveries").set({ … }).where(…).execute());
 */
export function groupWrite<T>(store: Store, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  let group = groups.get(store);
  if (!group) {
    group = { queue: [], committing: false };
    groups.set(store, group);
  }
  const g = group;
  return new Promise<T>((resolve, reject) => {
    g.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
    if (!g.committing) {
      // Linger a moment so writes that arrive close together (sends finishing one after
      // another) share a commit: SQLite commits block the event loop, so without this they
      // would rarely overlap.
      g.committing = true;
      setTimeout(() => void drain(store, g), LINGER_MS);
    }
  });
}

const MAX_GROUP = 500;
const LINGER_MS = 2;
const groups = new WeakMap<Store, { queue: Job[]; committing: boolean }>();

async function drain(store: Store, g: { queue: Job[]; committing: boolean }): Promise<void> {
  g.committing = true;
  try {
    while (g.queue.length > 0) {
      const jobs = g.queue.splice(0, MAX_GROUP);
      try {
        const results = await store.db.transaction().execute(async (trx) => {
          const out: unknown[] = [];
          for (const job of jobs) out.push(await job.work(trx));
          return out;
        });
        jobs.forEach((job, i) => {
          job.resolve(results[i]);
        });
      } catch {
        for (const job of jobs) {
          try {
            job.resolve(await store.db.transaction().execute((trx) => job.work(trx)));
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
