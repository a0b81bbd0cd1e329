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
  let woken = false;
  let wakeUp: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });

  const run = async () => {
    while (!stopping) {
      woken = false;
      let full = false;
      try {
        const report = await dispatchDue(r, options);
        if (report.claimed > 0) options.onReport?.(report);
        full = report.claimed >= batchSize;
      } catch (error) {
        onError(error);
      }
      if (!full && !woken && !stopping) await sleep(options.pollMs ?? 1_000);
    }
  };
  const running = run();

  return {
    wake() {
      woken = true;
      wakeUp?.();
    },
    async stop() {
      stopping = true;
      wakeUp?.();
      await running;
    },
  };
}
