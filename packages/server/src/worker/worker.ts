import type { Logger } from "pino";
import { sweepSessions } from "../accounts/sessions";
import type { Resources } from "../resources";

/**
 * The worker role: background work that no request waits for. Today it sweeps expired
 * sessions; the journey engine (claiming due enrollments under a lease) runs here too.
 *
 * States: running → stopping (finishes the task in hand) → stopped.
 */
export interface Worker {
  stop(): Promise<void>;
}

const SWEEP_EVERY_MS = 60_000;

export function startWorker(r: Resources, log: Logger): Worker {
  let stopping = false;
  let inFlight: Promise<void> = Promise.resolve();

  const sweep = () => {
    if (stopping) return;
    inFlight = sweepSessions(r)
      .then((n) => {
        if (n > 0) log.info({ sessions: n }, "expired sessions removed");
      })
      .catch((error) => log.error({ err: error }, "session sweep failed"));
  };
  const timer = setInterval(sweep, SWEEP_EVERY_MS);
  timer.unref();
  sweep();
  log.info("worker started");

  return {
    async stop() {
      stopping = true;
      clearInterval(timer);
      await inFlight;
      log.info("worker stopped");
    },
  };
}
