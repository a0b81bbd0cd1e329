import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sql } from "kysely";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney } from "../testing/email-journey";
import { useStore } from "../testing/use-store";
import { consumeMemberships } from "./membership-consumer";

for (const dialect of DIALECTS.filter((d) => d.name === "postgres")) {
  describe(`[${dialect.name}] membership log consumer`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect);

    it("does not step over a row whose transaction commits after a newer seq", async () => {
      const r = ctx.resources;
      const db = ctx.store.db;
      const now = Date.now();
      const { businessId } = await createBusinessWithOwner(r, {
        name: "Log",
        plan: "enterprise",
        ownerEmail: "log@example.com",
      });
      await db
        .insertInto("segments")
        .values({
          business_id: businessId,
          id: "seg_list",
          name: "List",
          rule: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await activeEmailJourney(r, businessId, { type: "segment", segmentId: "seg_list" }, now);
      await consumeMemberships(r, { limit: 100 });

      const joined = (customerId: string) => ({
        business_id: businessId,
        segment_id: "seg_list",
        customer_id: customerId,
        change: "joined",
        // Long past: old enough that no grace period would wait for the gap.
        at: now - 60_000,
      });
      // A long transaction takes the lower seq and is still open when a newer row commits.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let inserted = () => {};
      const lowerTaken = new Promise<void>((resolve) => {
        inserted = resolve;
      });
      const slow = db.transaction().execute(async (trx) => {
        await trx.insertInto("membership_events").values(joined("cus_slow")).execute();
        inserted();
        await held;
      });
      await lowerTaken;
      await db.insertInto("membership_events").values(joined("cus_fast")).execute();
      const seqs = await db
        .selectFrom("membership_events")
        .select(["customer_id", "seq"])
        .where("business_id", "=", businessId)
        .execute();
      assert.equal(seqs.length, 1, "the slow row is not visible yet");

      await consumeMemberships(r, { limit: 100 });
      release();
      await slow;
      await consumeMemberships(r, { limit: 100 });

      const entered = await db
        .selectFrom("engine_work")
        .select("customer_id")
        .where("business_id", "=", businessId)
        .where("kind", "=", "enter")
        .orderBy("customer_id")
        .execute();
      assert.deepEqual(
        entered.map((w) => w.customer_id),
        ["cus_fast", "cus_slow"],
        "both joins became entries, the late-committing one too",
      );
      const [{ order }] = (
        await sql<{ order: boolean }>`select bool_and(txid > 0) as order from membership_events`.execute(db)
      ).rows as [{ order: boolean }];
      assert.ok(order, "every row records its transaction");
    });
  });
}
