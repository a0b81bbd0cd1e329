import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pino from "pino";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { ManualClock } from "../clock";
import { DefinitionCache } from "../engine/definitions";
import { defaultLanes, settle, startEngine } from "../engine/loop";
import type { Resources } from "../resources";
import { fillCustomers } from "../testing/customers";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney } from "../testing/email-journey";
import { useStore } from "../testing/use-store";

const T0 = Date.UTC(2026, 0, 5, 9);
const BACKLOG = 2_000;
const BATCH = 50;

/** A business whose event journey has `BACKLOG` customers waiting to enter it. */
async function backlog(r: Resources, name: string): Promise<string> {
  const { businessId } = await createBusinessWithOwner(r, {
    name,
    plan: "enterprise",
    ownerEmail: `owner@${name}.test`,
  });
  await fillCustomers(r.store, businessId, BACKLOG);
  const journeyId = await activeEmailJourney(r, businessId, { type: "event", event: "Signed Up" }, T0);
  await r.store.db
    .insertInto("engine_work")
    .values(
      Array.from({ length: BACKLOG }, (_, i) => ({
        business_id: businessId,
        kind: "enter",
        journey_id: journeyId,
        customer_id: `cus_fill${String(i).padStart(4, "0")}`,
        enrollment_id: null,
        run_at: T0,
        payload: null,
        created_at: T0,
      })),
    )
    .execute();
  return businessId;
}

async function queuedAndEnrolled(r: Resources, businessId: string) {
  const db = r.store.db;
  const [work, enrollments] = await Promise.all([
    db
      .selectFrom("engine_work")
      .where("business_id", "=", businessId)
      .select(db.fn.countAll().as("n"))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom("enrollments")
      .where("business_id", "=", businessId)
      .select(db.fn.countAll().as("n"))
      .executeTakeFirstOrThrow(),
  ]);
  return { queued: Number(work.n), enrolled: Number(enrollments.n) };
}

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] stopping the engine with a backlog`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect, { clock: () => new ManualClock(T0) });

    it("settle ends after the round in which shouldStop says so", async () => {
      const r = ctx.resources;
      const businessId = await backlog(r, "settle");
      const report = await settle(r, new DefinitionCache(), { batchSize: BATCH, shouldStop: () => true });
      assert.equal(report.rounds, 1);
      const { queued, enrolled } = await queuedAndEnrolled(r, businessId);
      assert.equal(enrolled, report.steps);
      assert.equal(queued, BACKLOG - report.steps);
      await r.store.db.deleteFrom("engine_work").execute();
    });

    it("stops after the batch in hand, leaving the rest of the backlog queued", async () => {
      const r = ctx.resources;
      const businessId = await backlog(r, "stop");
      let firstBatch!: () => void;
      const committed = new Promise<void>((resolve) => {
        firstBatch = resolve;
      });
      // Told after each round that wrote deliveries, i.e. once a batch has committed.
      const engine = await startEngine(r, pino({ level: "silent" }), {
        batchSize: BATCH,
        onQueued: () => firstBatch(),
      });
      await committed;
      await engine.stop();

      const { queued, enrolled } = await queuedAndEnrolled(r, businessId);
      const round = BATCH * defaultLanes(r);
      // The round that told us, and at most the one under way when stop was called.
      assert.ok(enrolled >= round && enrolled <= 2 * round, `${enrolled} enrolled; one round is ${round}`);
      // Nothing lost: every work item either ran (one enrollment each) or is still queued.
      assert.equal(queued + enrolled, BACKLOG);
    });
  });
}
