import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openSqliteStore } from "./sqlite-store";

describe("the checkpoint thread", () => {
  it("copies committed pages into the database file while the writer only appends to the log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "journeys-checkpoint-"));
    const file = join(dir, "journeys.db");
    try {
      const store = await openSqliteStore({ file });
      const { raw } = store;
      raw.exec("create table filler (body text)");
      const before = statSync(file).size;
      // ~2 MB: far below the writer's own checkpoint (10,000 pages), so only the thread copies it.
      const insert = raw.prepare("insert into filler (body) values (?)");
      raw.transaction(() => {
        for (let i = 0; i < 2_000; i++) insert.run(`${i}`.padEnd(1_000, "x"));
      })();
      const deadline = Date.now() + 5_000;
      while (statSync(file).size < before + 2_000_000 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(
        statSync(file).size >= before + 2_000_000,
        `the database file grew from ${before} to ${statSync(file).size} bytes only`,
      );
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
