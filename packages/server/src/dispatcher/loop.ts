import type { Resources } from "../resources";
import { type DispatchReport, dispatchDue } from "./dispatch";
import type { DispatchOptions } from "./options";

/** The running dispatcher of a worker process. */
export interface Dispatcher {
  /** Look for due deliveries now instead of at the next poll (call after committing some). */
  wake(): void;
  /** Finishes the batch in hand, then stops. */
  stop(): Promise<void>;
}

export interface DispatcherLoopOptions extends DispatchOptions {
  /** How often to look for due deliveries when not woken (default 1 s). */
  pollMs?: number;
  onReport?: (report: DispatchReport) => void;
  /** Batches claimed and sent side by side (default 3). */
  lanes?: number;
}

/**
 * The dispatcher loop of the worker role. States: idle (waiting for a wake-up or the next
 * poll) → draining (claiming batch after batch while they come back full) → idle; `stop`
 * moves to stopped once the batch in hand is recorded. An error (the database went away)
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
  let stopping = false;
  let wakes = 0;
  const sleepers = new Set<() => void>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });

  // Several lanes claim and send batches side by side, so one slow send does not hold back
  // the next batch (claims never overlap: SKIP LOCKED on PostgreSQL, one writer on SQLite).
  const lane = async () => {
    while (!stopping) {
      const seen = wakes;
      let full = false;
      try {
        const report = await dispatchDue(r, options);
        if (report.claimed > 0) options.onReport?.(report);
        full = report.claimed >= batchSize;
      } catch (error) {
        onError(error);
      }
      if (!full && wakes === seen && !stopping) await sleep(options.pollMs ?? 1_000);
    }
  };
  const running = Promise.all(Array.from({ length: options.lanes ?? 3 }, lane));

  return {
    wake() {
      wakes++;
      for (const wakeUp of [...sleepers]) wakeUp();
    },
    async stop() {
      stopping = true;
      for (const wakeUp of [...sleepers]) wakeUp();
      await running;
    },
  };
}
