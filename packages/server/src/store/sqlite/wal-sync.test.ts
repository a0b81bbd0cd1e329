import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import SQLite from "better-sqlite3";
import { unflushed, WalSync } from "./wal-sync";

describe("WalSync", () => {
  const dir = mkdtempSync(join(tmpdir(), "journeys-wal-sync-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const database = (name: string) => {
    const raw = new SQLite(join(dir, name));
    raw.pragma("journal_mode = WAL");
    raw.pragma("synchronous = FULL");
    raw.exec("create table t (n integer)");
    return raw;
  };

  /** An fsync that finishes only when the test says so, counting its calls. */
  const gatedFsync = () => {
    const calls: number[] = [];
    const gates: (() => void)[] = [];
    const fsync = (fd: number) =>
      new Promise<void>((resolve) => {
        calls.push(fd);
        gates.push(resolve);
      });
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    /** Ends the oldest fsync, once it has started (the log file is opened on the thread pool first). */
    const release = async () => {
      while (gates.length === 0) await tick();
      gates.shift()!();
      await tick();
    };
    /** Resolves once `n` fsyncs have started. */
    const started = async (n: number) => {
      while (calls.length < n) await tick();
    };
    return { calls, fsync, release, started };
  };

  it("syncs the log of a database that committed, and has nothing to sync before its first commit", async () => {
    const file = join(dir, "first.db");
    const gated = gatedFsync();
    const wal = new WalSync(file, gated.fsync);
    await wal.sync(); // no log file yet
    assert.equal(gated.calls.length, 0);
    const raw = database("first.db");
    const synced = wal.sync();
    await gated.release();
    await synced;
    assert.equal(gated.calls.length, 1);
    await wal.close();
    raw.close();
  });

  it("makes a caller that came during a running fsync wait for the next one, and callers meanwhile share it", async () => {
    const raw = database("shared.db");
    const gated = gatedFsync();
    const wal = new WalSync(join(dir, "shared.db"), gated.fsync);
    const order: string[] = [];
    const first = wal.sync().then(() => order.push("first"));
    await gated.started(1);
    const later = [1, 2, 3].map((n) => wal.sync().then(() => order.push(`later ${n}`)));
    await gated.release(); // the first fsync ends: only its caller is answered
    await first;
    assert.deepEqual(order, ["first"]);
    await gated.release(); // one more fsync answers the three that came meanwhile
    await Promise.all(later);
    assert.deepEqual(order, ["first", "later 1", "later 2", "later 3"]);
    assert.equal(gated.calls.length, 2);
    await wal.close();
    raw.close();
  });

  it("reports a failed fsync to its callers, and the next call tries again", async () => {
    const raw = database("failing.db");
    let fail = true;
    const wal = new WalSync(join(dir, "failing.db"), async () => {
      if (fail) throw new Error("EIO");
    });
    await assert.rejects(wal.sync(), /EIO/);
    fail = false;
    await wal.sync();
    await wal.close();
    raw.close();
  });

  it("commits unflushed inside `unflushed`, and flushed again after it, even when the work fails", async () => {
    const raw = database("modes.db");
    const mode = () => raw.pragma("synchronous", { simple: true });
    assert.equal(mode(), 2);
    await unflushed(raw, async () => {
      assert.equal(mode(), 1);
      raw.exec("insert into t values (1)");
    });
    assert.equal(mode(), 2);
    await assert.rejects(
      unflushed(raw, async () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(mode(), 2);
    raw.close();
  });
});
