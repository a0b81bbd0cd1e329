import { once } from "node:events";
import { Worker } from "node:worker_threads";

/** How often the thread copies the log into the database. */
const CHECKPOINT_EVERY_MS = 200;

/**
 * Checkpoints of the embedded store on a thread of their own. In WAL mode every commit
 * appends pages to the log, and a checkpoint copies them into the database file and fsyncs
 * it. Left to SQLite, the committing connection does that itself, on Node's one thread:
 * tens of milliseconds every few thousand pages, during which no request, engine step or
 * send moves. This thread runs a PASSIVE checkpoint every 200 ms from its own connection, on
 * the other core; the writer's autocheckpoint stays as the backstop, for the few pages the
 * thread has not copied yet when the log reaches its limit.
 *
 * @example
 *   const checkpoints = new CheckpointThread("./data/journeys.db");
 *   // … the store runs …
 *   await checkpoints.stop(); // before the store's connections close
 */
export class CheckpointThread {
  readonly #worker: Worker;
  readonly #exited: Promise<unknown>;

  constructor(file: string) {
    this.#worker = new Worker(new URL("./checkpoint-thread.worker.mjs", import.meta.url), {
      workerData: { file, intervalMs: CHECKPOINT_EVERY_MS },
      execArgv: [],
    });
    this.#exited = once(this.#worker, "exit");
    // A thread that fails leaves checkpoints to the writer, as SQLite does by default.
    this.#worker.on("error", () => {});
    // It must not keep the process alive on its own.
    this.#worker.unref();
  }

  /** Stops checkpointing and closes the thread's connection. */
  async stop(): Promise<void> {
    this.#worker.ref(); // the wait for its exit keeps the process alive
    this.#worker.postMessage("stop"); // nothing happens if the thread has ended already
    await this.#exited;
  }
}
