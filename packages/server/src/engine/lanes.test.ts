import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { ManualClock } from "../clock";
import { insertEmailCustomers } from "../testing/customers";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney, queueEntries } from "../testing/email-journey";
import { useStore } from "../testing/use-store";
import { DefinitionCache } from "./definitions";
import { runDueLanes, settle } from "./loop";

const T0 = Date.UTC(2026, 0, 5, 9);
const CUSTOMERS = 10;
const LIMIT = 10;
const LANES = 4;

for (const dialect of DIALECTS.filter((d) => d.name === "postgres")) {
  describe(`[${dialect.name}] engine lanes`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect, { clock: () => new ManualClock(T0) });

    it("gives each lane its own customers, so lanes never step one enrollment together", async () => {
      const r = ctx.resources;
      const { businessId } = await createBusinessWithOwner(r, {
        name: "Lanes",
        plan: "enterprise",
        ownerEmail: "lanes@example.com",
      });
      const db = ctx.store.db;
      const customers = Array.from({ length: CUSTOMERS }, (_, i) => `cus_lane${i}`);
      await insertEmailCustomers(ctx.store, businessId, customers, T0);
      const journeyId = await activeEmailJourney(r, businessId, { type: "event", event: "Signed Up" }, T0);
      // The event fired four times for every customer. Claimed in id order without lanes of
      // their own, each batch of 10 would hold one entry of every customer, and four lanes
      // would enroll each customer four times at once (the unique enrollment refuses three).
      for (let copy = 0; copy < LANES; copy++) {
        await queueEntries(ctx.store, businessId, journeyId, customers, T0);
      }

      const definitions = new DefinitionCache();
      let processed = 0;
      for (;;) {
        const round = await runDueLanes(r, definitions, { limit: LIMIT, lanes: LANES });
        if (round.processed === 0) break;
        processed += round.processed;
      }
      assert.equal(processed, CUSTOMERS * LANES);
      const enrollments = await db
        .selectFrom("enrollments")
        .select("customer_id")
        .where("journey_id", "=", journeyId)
        .execute();
      assert.deepEqual(enrollments.map((e) => e.customer_id).sort(), [...customers].sort());
      const deliveries = await db
        .selectFrom("deliveries")
        .select("customer_id")
        .where("journey_id", "=", journeyId)
        .execute();
      assert.equal(deliveries.length, CUSTOMERS);
    });

    it("settles a trickle in one transaction a round, and a backlog in every lane", async () => {
      const r = ctx.resources;
      const { businessId } = await createBusinessWithOwner(r, {
        name: "Adaptive lanes",
        plan: "enterprise",
        ownerEmail: "adaptive@example.com",
      });
      const journeyId = await activeEmailJourney(r, businessId, { type: "event", event: "Signed Up" }, T0);
      const options = { batchSize: LIMIT, lanes: LANES };
      const definitions = new DefinitionCache();

      const trickle = Array.from({ length: LIMIT / 2 }, (_, i) => `cus_trickle${i}`);
      await insertEmailCustomers(ctx.store, businessId, trickle, T0);
      await queueEntries(ctx.store, businessId, journeyId, trickle, T0);
      const few = await settle(r, definitions, options);
      assert.equal(few.steps, trickle.length);
      assert.equal(few.transactions, 1, "a few items: one lane");

      const backlog = Array.from({ length: LIMIT * LANES }, (_, i) => `cus_backlog${i}`);
      await insertEmailCustomers(ctx.store, businessId, backlog, T0);
      await queueEntries(ctx.store, businessId, journeyId, backlog, T0);
      const many = await settle(r, definitions, options);
      assert.equal(many.steps, backlog.length);
      // One lane takes a full batch, then every lane at once: more transactions than busy rounds.
      assert.ok(many.transactions > many.rounds - 1, JSON.stringify(many));
    });
  });
}
