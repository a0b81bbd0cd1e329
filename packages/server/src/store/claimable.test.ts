import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sql } from "kysely";
import { DIALECTS } from "../testing/dialects";
import { useStore } from "../testing/use-store";
import { CLAIMABLE } from "./claimable";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] the outbox's claim index`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect);

    /** The plan of a query over `deliveries`, as one line of text. */
    async function plan(where: ReturnType<typeof sql>): Promise<string> {
      const query = sql`select id from deliveries where ${where} and next_attempt_at <= ${Date.now()} order by next_attempt_at limit 200`;
      if (ctx.store.dialect === "sqlite") {
        const { rows } = await sql<{ detail: string }>`explain query plan ${query}`.execute(ctx.store.db);
        return rows.map((row) => row.detail).join(" | ");
      }
      // The table is empty, so PostgreSQL would rightly scan it: ask whether the index can serve.
      return ctx.store.db.transaction().execute(async (trx) => {
        await sql`set local enable_seqscan = off`.execute(trx);
        const { rows } = await sql<{ "QUERY PLAN": string }>`explain ${query}`.execute(trx);
        return rows.map((row) => row["QUERY PLAN"]).join(" | ");
      });
    }

    it("serves a claim (CLAIMABLE, in next_attempt_at order) from deliveries_claimable", async () => {
      assert.match(await plan(CLAIMABLE), /deliveries_claimable/);
    });

    if (dialect.name === "sqlite") {
      it("is not used when the statuses are bound parameters (why CLAIMABLE is a literal)", async () => {
        assert.doesNotMatch(await plan(sql`status in (${"queued"}, ${"sending"})`), /deliveries_claimable/);
      });
    }
  });
}
