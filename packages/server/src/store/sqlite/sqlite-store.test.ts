import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { sql } from "kysely";
import { openSqliteStore } from "./sqlite-store";

describe("[sqlite] store file handles", () => {
  it("closes the read-only connection even if nothing read through it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "journeys-close-"));
    try {
      const store = await openSqliteStore({ file: join(dir, "journeys.db") });
      await store.close();
      // A closed store must not quietly reopen a handle on the file for a late reader.
      await assert.rejects(sql`select 1`.execute(store.reader));
      assert.equal(store.raw.open, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
