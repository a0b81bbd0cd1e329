import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sql } from "kysely";
import { DIALECTS } from "../testing/dialects";
import { useStore } from "../testing/use-store";
import { storeWarnings } from "./warnings";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] store warnings at start-up`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect);

    it("warns when PostgreSQL runs without autovacuum, and of nothing else", async () => {
      const warnings = await storeWarnings(ctx.store);
      if (ctx.store.dialect === "sqlite") {
        assert.deepEqual(warnings, []);
        return;
      }
      // The server's own setting (this machine's CI server runs with it off; most run with it on).
      const { rows } = await sql<{ autovacuum: string }>`show autovacuum`.execute(ctx.store.db);
      if (rows[0]?.autovacuum === "off") {
        assert.equal(warnings.length, 1);
        assert.match(warnings[0]!, /autovacuum off/);
        assert.match(warnings[0]!, /ANALYZE/);
      } else assert.deepEqual(warnings, []);
    });
  });
}
