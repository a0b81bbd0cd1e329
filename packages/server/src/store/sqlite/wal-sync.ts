import { close, fsync, open } from "node:fs";
import { promisify } from "node:util";
import type SQLite from "better-sqlite3";

const openFile = promisify(open);
const fsyncFile = promisify(fsync);
const closeFile = promisify(close);

/**
 * Durability without blocking the event loop. A commit with `synchronous=FULL` fsyncs the
 * write-ahead log on the calling thread — 1–3 ms during which Node serves nothing. A commit
 * with `synchronous=NORMAL` only writes its frames to the log; `sync()` then fsyncs the log
 * file on libuv's thread pool, and once it resolves every commit made before the call is on
 * disk (in WAL mode a commit is its frames in the log; a checkpoint that moved them into the
 * database file synced that file first). Calls made while an fsync runs share the next one.
 *
 * States: idle → syncing → (calls meanwhile) one more sync queued → idle.
 *
 * @example
 *   await unflushed(raw, async () => { raw.exec("begin immediate"); …; raw.exec("commit"); });
 *   await wal.sync(); // now answer the client
 */
export class WalSync {
  readonly #path: string | null;
  #fd: Promise<number | null> | null = null;
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;

  readonly #fsyncFd: (fd: number) => Promise<void>;

  /**
   * `file`: the database file (its log is `<file>-wal`); ":memory:" has no log to sync.
   * `fsyncFd` is injected by tests, to watch the calls.
   */
  constructor(file: string, fsyncFd: (fd: number) => Promise<void> = fsyncFile) {
    this.#path = file === ":memory:" ? null : `${file}-wal`;
    this.#fsyncFd = fsyncFd;
  }

  sync(): Promise<void> {
    if (!this.#running) {
      const run = this.#fsync().finally(() => {
        if (this.#running === run) this.#running = null;
      });
      this.#running = run;
      return run;
    }
    // An fsync already running may have started before the caller's commit: wait for the next.
    this.#queued ??= this.#running
      .catch(() => {})
      .then(() => {
        this.#queued = null;
        return this.sync();
      });
    return this.#queued;
  }

  async close(): Promise<void> {
    await this.#running?.catch(() => {});
    await this.#queued?.catch(() => {});
    const fd = await this.#fd?.catch(() => null);
    this.#fd = null;
    if (fd !== null && fd !== undefined) await closeFile(fd);
  }

  async #fsync(): Promise<void> {
    if (!this.#path) return;
    // Opened once: SQLite keeps the log file (it reuses it from the start after a checkpoint)
    // until its last connection closes.
    this.#fd ??= openFile(this.#path, "r+").catch((error: NodeJS.ErrnoException) => {
      this.#fd = null; // no log yet: nothing was committed, nothing to sync; look again next time
      if (error.code === "ENOENT") return null;
      throw error;
    });
    const fd = await this.#fd;
    if (fd !== null) await this.#fsyncFd(fd);
  }
}

/**
 * Runs `work` — which holds the one write connection and commits on it — with its commits
 * unflushed (`synchronous=NORMAL`), then puts the connection back to flushed commits.
 */
export async function unflushed<T>(raw: SQLite.Database, work: () => Promise<T>): Promise<T> {
  raw.pragma("synchronous = NORMAL");
  try {
    return await work();
  } finally {
    raw.pragma("synchronous = FULL");
  }
}
