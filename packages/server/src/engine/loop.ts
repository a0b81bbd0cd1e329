import type { Logger } from "pino";
import { countEngineWork } from "../ops/domain-metrics";
import type { Resources } from "../resources";
import { CLAIMABLE } from "../store/claimable";
import { DefinitionCache } from "./definitions";
import type { DeliveryHandOff } from "./hand-off";
import { consumeMemberships, hasUnreadMemberships } from "./membership-consumer";
import { type RunDueResult, runDue, workDue } from "./run-due";
import { listenForWork, notifyWork } from "./signals";

/** Sends due outbox deliveries; the dispatcher provides it. Returns how many it handled. */
export type Dispatch = (r: Resources) => Promise<number>;

export interface EngineOptions {
  /** Work items per transaction. */
  batchSize?: number;
  /** Transactions of due work in flight at once (default: 4 on PostgreSQL, 1 on SQLite). */
  lanes?: number;
  /** Longest sleep between polls when nothing signals. */
  idleMs?: number;
  dispatch?: Dispatch;
  /** Told when a round queued deliveries it did not hand off (the worker wakes its dispatcher to claim them). */
  onQueued?: () => void;
  /** The worker's dispatcher, which takes new deliveries straight from the engine (`hand-off.ts`). */
  handOff?: DeliveryHandOff;
  /**
   * Asked after every round: true ends `settle` there, though work may still be due. Each
   * round's batches have committed by then, and what is left stays queued for the next worker,
   * so a worker told to stop does so after the batch in hand, not after the whole backlog.
   */
  shouldStop?: () => boolean;
}

export interface SettleReport {
  rounds: number;
  memberships: number;
  steps: number;
  /** Transactions of due work that stepped something (one per busy lane per round). */
  transactions: number;
  deliveries: number;
}

/**
 * Rounds of everything the engine does, until nothing is due at the current clock (or
 * `shouldStop` says so): membership log → engine work, due work → steps (and outbox rows), due
 * deliveries → sends. Tests and `POST /api/v1/admin/settle` call this; the worker loop calls
 * it on each wake-up.
 */
export async function settle(
  r: Resources,
  definitions: DefinitionCache,
  options: EngineOptions = {},
): Promise<SettleReport> {
  const report: SettleReport = { rounds: 0, memberships: 0, steps: 0, transactions: 0, deliveries: 0 };
  const limit = options.batchSize ?? 1_000;
  const maxLanes = options.lanes ?? defaultLanes(r);
  // One lane until a round takes a full batch (a backlog, worth every lane next round): what
  // trickles in (a live server's events) is then one transaction a round, not four with a few
  // items each.
  let lanes = 1;
  for (;;) {
    report.rounds++;
    const memberships = await consumeMemberships(r, { limit: 1_000, definitions });
    const { processed, queued, handedOff, transactions } = await runDueLanes(r, definitions, {
      limit,
      lanes,
      handOff: options.handOff,
    });
    lanes = processed >= limit ? maxLanes : 1;
    if (queued > handedOff) options.onQueued?.();
    const deliveries = options.dispatch ? await options.dispatch(r) : 0;
    report.memberships += memberships;
    report.steps += processed;
    report.transactions += transactions;
    report.deliveries += deliveries;
    if (memberships + processed + deliveries === 0 || options.shouldStop?.()) return report;
  }
}

/**
 * PostgreSQL runs several batches at once: while one waits on the server, another runs its
 * steps. SQLite has one writer, so one lane.
 */
export function defaultLanes(r: Resources): number {
  return r.store.dialect === "postgres" ? 4 : 1;
}

/**
 * `lanes` runDue transactions at once, each claiming the due work of its own share of the
 * customers (so lanes never step the same enrollment together). A lane that fails rolls back
 * alone and its items stay due for the next round; the first failure is thrown once every
 * lane has finished, so the caller still hears of it.
 */
export async function runDueLanes(
  r: Resources,
  definitions: DefinitionCache,
  options: { limit: number; lanes: number; handOff?: DeliveryHandOff },
): Promise<RunDueResult & { transactions: number }> {
  const of = Math.max(1, options.lanes);
  const lanes = Array.from({ length: of }, (_, index) =>
    runDue(r, definitions, { limit: options.limit, lane: { index, of }, handOff: options.handOff }),
  );
  const total = { processed: 0, nodes: 0, queued: 0, handedOff: 0, transactions: 0 };
  let failure: { error: unknown } | undefined;
  for (const lane of await Promise.allSettled(lanes)) {
    if (lane.status === "rejected") {
      failure ??= { error: lane.reason };
      continue;
    }
    if (lane.value.processed > 0) total.transactions++;
    total.processed += lane.value.processed;
    total.nodes += lane.value.nodes;
    total.queued += lane.value.queued;
    total.handedOff += lane.value.handedOff;
  }
  // The lanes that committed count, even when another one failed.
  countEngineWork(r, total);
  if (failure) throw failure.error;
  return total;
}

/**
 * The engine in the worker role: settles whenever signalled (NOTIFY / in-process) or every
 * `idleMs`. States: running → stopping (finishes the round in hand, leaving the rest of a
 * backlog queued) → stopped.
 */
export async function startEngine(r: Resources, log: Logger, options: EngineOptions = {}) {
  const definitions = new DefinitionCache();
  const idleMs = options.idleMs ?? 250;
  let stopping = false;
  let wake: (() => void) | undefined;
  let pending = false;
  const stopListening = await listenForWork(r.store, () => {
    pending = true;
    wake?.();
  });
  const loop = (async () => {
    while (!stopping) {
      pending = false;
      try {
        const report = await settle(r, definitions, { ...options, shouldStop: () => stopping });
        if (report.steps + report.deliveries > 0) log.debug(report, "engine round");
      } catch (error) {
        log.error({ err: error }, "engine round failed; retrying");
      }
      if (stopping) break;
      if (!pending) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, idleMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  })();
  log.info("engine started");
  return {
    definitions,
    nudge: () => notifyWork(r.store),
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      await stopListening();
      log.info("engine stopped");
    },
  };
}

/**
 * Settles, then waits until nothing is due anywhere — including work another worker holds in an
 * open transaction — so a black-box test can assert right after. Gives up after `timeoutMs`.
 */
export async function settleFully(
  r: Resources,
  definitions: DefinitionCache,
  options: EngineOptions & { timeoutMs?: number } = {},
): Promise<SettleReport> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const total: SettleReport = { rounds: 0, memberships: 0, steps: 0, transactions: 0, deliveries: 0 };
  for (;;) {
    const report = await settle(r, definitions, options);
    total.rounds += report.rounds;
    total.memberships += report.memberships;
    total.steps += report.steps;
    total.transactions += report.transactions;
    total.deliveries += report.deliveries;
    if (await nothingDue(r)) return total;
    if (Date.now() > deadline)
      throw new Error("settle timed out: work is still due (is another worker stuck?)");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function nothingDue(r: Resources): Promise<boolean> {
  const now = r.clock.now();
  const db = r.store.db;
  if (await workDue(db, now)) return false;
  // Due or in flight, with the claim index's predicate so SQLite uses that index.
  const delivery = await db
    .selectFrom("deliveries")
    .select("id")
    .where(CLAIMABLE)
    .where((eb) => eb.or([eb("status", "=", "sending"), eb("next_attempt_at", "<=", now)]))
    .limit(1)
    .executeTakeFirst();
  if (delivery) return false;
  return !(await hasUnreadMemberships(db, r.store.dialect === "postgres"));
}
