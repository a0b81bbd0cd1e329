import { EventEmitter } from "node:events";
import type pg from "pg";
import type { Store } from "../store/store";

/**
 * Low-latency wake-ups for workers: whoever commits new work (ingestion, activation, the
 * engine itself) calls `notifyWork`. In one process that is an event; on PostgreSQL it is also
 * a `NOTIFY`, which `listenForWork` receives in every worker process. Workers still poll on a
 * timer, so a lost signal only delays work, never loses it.
 */
const CHANNEL = "journeys_work";
const emitters = new WeakMap<Store, EventEmitter>();

function emitter(store: Store): EventEmitter {
  let e = emitters.get(store);
  if (!e) {
    e = new EventEmitter();
    e.setMaxListeners(100);
    emitters.set(store, e);
  }
  return e;
}

/** PostgreSQL stores with a NOTIFY on its way, and whether another was asked for meanwhile. */
const notifying = new WeakMap<Store, { again: boolean }>();

/**
 * Wakes this process's workers at once and, on PostgreSQL, every other process's with a
 * `NOTIFY`. NOTIFYs are coalesced: while one is on its way, further calls ask for one more,
 * sent when it returns — so a thousand ingestion calls a second cost a NOTIFY per round trip
 * (each a statement, a socket write and a transaction), and a NOTIFY still follows the last
 * commit that asked for one.
 */
export function notifyWork(store: Store): void {
  emitter(store).emit("work");
  if (store.dialect !== "postgres") return;
  const inFlight = notifying.get(store);
  if (inFlight) {
    inFlight.again = true;
    return;
  }
  const state = { again: false };
  notifying.set(store, state);
  store.pool
    .query(`notify ${CHANNEL}`)
    .catch(() => {})
    .finally(() => {
      notifying.delete(store);
      if (state.again) notifyWork(store);
    });
}

/** Calls `onWork` whenever work may be due; returns a function that stops listening. */
export async function listenForWork(store: Store, onWork: () => void): Promise<() => Promise<void>> {
  const local = emitter(store);
  local.on("work", onWork);
  let client: pg.PoolClient | undefined;
  if (store.dialect === "postgres") {
    client = await store.pool.connect();
    client.on("notification", onWork);
    await client.query(`listen ${CHANNEL}`);
  }
  return async () => {
    local.off("work", onWork);
    if (client) {
      await client.query(`unlisten ${CHANNEL}`).catch(() => {});
      client.release();
    }
  };
}
