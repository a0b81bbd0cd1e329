import type { DeliveriesTable } from "../store/schema";

/**
 * Where the engine hands the deliveries it queues straight to this process's dispatcher,
 * instead of leaving them for a claim: the worker's dispatcher offers one (see
 * `dispatcher/in-hand.ts`). Up to `room()` deliveries of a batch are written already claimed
 * for this process — `sending`, attempt 1, leased until `now + leaseMs` — and after the commit
 * the dispatcher `take`s them: no claim statement, no poll, no wake-up. If the process dies
 * first, their lease runs out and any worker claims them, as after a crash mid-send.
 *
 * A claim's flushed commit used to make the engine's unflushed steps durable before a send.
 * A batch that hands deliveries off therefore commits flushed on PostgreSQL, and on SQLite the
 * dispatcher syncs the log before it sends them.
 *
 * @example
 *   await runDue(r, definitions, { limit: 1_000, handOff: dispatcher.handOff });
 */
export interface DeliveryHandOff {
  /** How many more deliveries the dispatcher takes now (0 while it is full or stopping). */
  room(): number;
  /** The lease a handed delivery is written with. */
  readonly leaseMs: number;
  /** Committed deliveries, claimed for this process when they were written. */
  take(deliveries: DeliveriesTable[]): void;
}
