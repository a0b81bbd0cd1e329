import type { Resources } from "../resources";
import { type DispatchReport, dispatchDue, dispatchHanded } from "./dispatch";
import { InHand } from "./in-hand";
import type { DispatchOptions } from "./options";

/** The running dispatcher of a worker process. */
export interface Dispatcher {
  /** Look for due deliveries now instead of at the next poll (call after committing some). */
  wake(): void;
  /** Where this process's engine hands new deliveries straight to the dispatcher. */
  readonly handOff: InHand;
  /** Sends what it holds (batches in hand, deliveries handed over), then stops. */
  stop(): Promise<void>;
}

export interface DispatcherLoopOptions extends DispatchOptions {
  /** How often to look for due deliveries when not woken (default 1 s). */
  pollMs?: number;
  onReport?: (report: DispatchReport) => void;
  /** Batches claimed and sent side by side (default 3). */
  lanes?: number;
  /** Deliveries handed over by the engine and not yet sent, at most (default 1,000). */
  handOffLimit?: number;
}

/**
 * The dispatcher loop of the worker role. States: idle (waiting for a wake-up or the next
 * poll) → draining (deliveries handed over by the engine first, then claiming batch after
 * batch while they come back full) → idle; `stop` moves to stopped once the batches in hand
 * are recorded and the handed-over deliveries sent. An error (the database went away)
 * is reported and the loop carries on at the next poll.
 *
 * @example
 *   const dispatcher = startDispatcher(r, { providers, publicUrl }, (e) => log.error({ err: e }));
 *   dispatcher.wake(); // the engine committed new deliveries
 *   await dispatcher.stop();
 */
export function startDispatcher(
  r: Resources,
  options: DispatcherLoopOptions,
  onError: (error: unknown) => void,
): Dispatcher {
  const batchSize = options.batchSize ?? 200;
  const pollMs = options.pollMs ?? 1_000;
  let stopping = false;
  const sleepers = new Set<(timedOut: boolean) => void>();
  const wakeAll = () => {
    for (const done of [...sleepers]) done(false);
  };
  const inHand = new InHand({
    leaseMs: options.leaseMs ?? 60_000,
    limit: options.handOffLimit ?? 1_000,
    onTake: wakeAll,
  });

  /** Resolves to true when `ms` passed, false when woken before. */
  const sleep = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const done = (timedOut: boolean) => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve(timedOut);
      };
      const timer = setTimeout(() => done(true), ms);
      sleepers.add(done);
    });

  // Several lanes claim and send batches side by side, so one slow send does not hold back
  // the next batch (claims never overlap: SKIP LOCKED on PostgreSQL, one writer on SQLite).
  let turn = 0;
  const lane = async () => {
    for (;;) {
      // A claim is worth its statement only while the outbox may hold due deliveries (`behind`:
      // at the start, after a wake-up, while claims come back full, and at every poll — retries
      // and expired leases come due with no wake-up). Meanwhile every other batch is claimed from
      // it, the rest taken from the hand: the freshest deliveries never wait behind a backlog,
      // and the backlog is never starved by them.
      const claim = inHand.behind && !stopping && (inHand.size === 0 || turn++ % 2 === 0);
      const handed = claim ? [] : inHand.next(batchSize);
      if (!claim && handed.length === 0) {
        if (stopping) return;
        if (await sleep(pollMs)) inHand.fallBehind();
        continue;
      }
      const mark = inHand.mark();
      try {
        const report =
          handed.length > 0 ? await dispatchHanded(r, handed, options) : await dispatchDue(r, options);
        if (report.claimed > 0) options.onReport?.(report);
        if (handed.length === 0 && report.claimed < batchSize) inHand.caughtUp(mark);
      } catch (error) {
        // Handed-over deliveries stay claimed too: their lease runs out, then any worker claims them.
        onError(error);
      }
    }
  };
  const running = Promise.all(Array.from({ length: options.lanes ?? 3 }, lane));

  return {
    wake() {
      inHand.fallBehind();
      wakeAll();
    },
    handOff: inHand,
    async stop() {
      inHand.close();
      stopping = true;
      wakeAll();
      await running;
    },
  };
}
