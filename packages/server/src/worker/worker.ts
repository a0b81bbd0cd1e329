import type { Logger } from "pino";
import { sweepSessions } from "../accounts/sessions";
import { sweepSignInThrottles } from "../accounts/sign-in-throttle";
import { buildProvider, ProviderCache } from "../channels/providers";
import { type Dispatcher, startDispatcher } from "../dispatcher/loop";
import { startEngine } from "../engine/loop";
import type { Resources } from "../resources";
import { sweepSegments } from "../segments/sweep";

/**
 * The worker role: background work that no request waits for. Every minute it sweeps expired
 * sessions and recomputes time-relative segments (recording daily segment sizes); the
 * journey engine (claiming due enrollments under a lease) runs here too.
 *
 * States: running → stopping (finishes the task in hand) → stopped. A tick that finds the
 * previous one still running is skipped, so a slow sweep never piles up.
 */
export interface Worker {
  /** Sends the outbox; `wake()` it after committing new deliveries. */
  dispatcher: Dispatcher;
  stop(): Promise<void>;
}

export interface WorkerOptions {
  /** JOURNEYS_PUBLIC_URL: where unsubscribe links in emails point. */
  publicUrl: string;
  /** Shared with the process's admin settle endpoint (the caller closes it); the worker makes its own when absent. */
  providers?: ProviderCache;
}

const SWEEP_EVERY_MS = 60_000;

export async function startWorker(
  r: Resources,
  log: Logger,
  options: WorkerOptions = { publicUrl: "http://127.0.0.1:3000" },
): Promise<Worker> {
  // A cache handed in belongs to the caller (who closes it); one made here is closed on stop.
  const providers = options.providers ?? new ProviderCache(buildProvider(r.outbound));
  const ownsProviders = options.providers === undefined;
  const dispatcher = startDispatcher(r, { providers, publicUrl: options.publicUrl }, (error) =>
    log.error({ err: error }, "dispatch failed"),
  );
  // New deliveries go straight to this process's dispatcher while it has room; the rest are
  // queued in the outbox, and wake it at once instead of at its next poll.
  const engine = await startEngine(r, log.child({ part: "engine" }), {
    onQueued: () => dispatcher.wake(),
    handOff: dispatcher.handOff,
  });
  let stopping = false;
  let inFlight: Promise<void> = Promise.resolve();
  let busy = false;

  const sweep = () => {
    if (stopping || busy) return;
    busy = true;
    const sessions = Promise.all([sweepSessions(r), sweepSignInThrottles(r)])
      .then(([n, throttles]) => {
        if (n > 0) log.info({ sessions: n }, "expired sessions removed");
        if (throttles > 0) log.info({ throttles }, "idle sign-in throttles removed");
      })
      .catch((error) => log.error({ err: error }, "session sweep failed"));
    const segments = sweepSegments(r)
      .then((report) => {
        if (report.joined + report.left > 0) log.info(report, "time-relative segments recomputed");
      })
      .catch((error) => log.error({ err: error }, "segment sweep failed"));
    inFlight = Promise.all([sessions, segments]).then(() => {
      busy = false;
    });
  };
  const timer = setInterval(sweep, SWEEP_EVERY_MS);
  timer.unref();
  sweep();
  log.info("worker started");

  return {
    dispatcher,
    async stop() {
      stopping = true;
      clearInterval(timer);
      // The engine first: its last batches may still hand deliveries to the dispatcher.
      await Promise.all([inFlight, engine.stop().then(() => dispatcher.stop())]);
      if (ownsProviders) await providers.close();
      log.info("worker stopped");
    },
  };
}
