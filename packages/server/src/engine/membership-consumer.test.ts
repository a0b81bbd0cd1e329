import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sql } from "kysely";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { ManualClock } from "../clock";
import { activateJourney, pauseJourney } from "../journeys/lifecycle";
import { createJourney, updateJourney } from "../journeys/service";
import type { Resources } from "../resources";
import { changeListMembers } from "../segments/manual-lists";
import { createSegment } from "../segments/segments";
import { readJson, writeJson } from "../store/json";
import { insertEmailCustomers } from "../testing/customers";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney } from "../testing/email-journey";
import { useStore } from "../testing/use-store";
import { DefinitionCache } from "./definitions";
import { settle } from "./loop";
import { consumeMemberships, hasUnreadMemberships } from "./membership-consumer";

const T0 = Date.UTC(2026, 0, 5, 9);
const DAY = 86_400_000;

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
      // Rows become readable once every older transaction on the server has ended: test files
      // running beside this one (other databases, same server) can hold that back a moment.
      for (let tries = 0; tries < 500 && (await hasUnreadMemberships(db, true)); tries++) {
        await consumeMemberships(r, { limit: 100 });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }

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

/** A business with manual lists A and B, three subscribed customers, an email template and channel. */
async function setUp(r: Resources) {
  const { businessId } = await createBusinessWithOwner(r, {
    name: "Exits",
    plan: "enterprise",
    ownerEmail: `${r.newId("usr")}@example.com`,
  });
  const segA = (await createSegment(r, businessId, { name: "A", rule: null })).id;
  const segB = (await createSegment(r, businessId, { name: "B", rule: null })).id;
  await insertEmailCustomers(r.store, businessId, ["cus_one", "cus_two", "cus_three"], T0);
  await r.store.db
    .insertInto("templates")
    .values({
      business_id: businessId,
      id: "tpl_later",
      name: "Later",
      channel: "email",
      content: writeJson({ subject: "Later", body: "<p>Later</p>" }),
      transactional: 0,
      created_at: T0,
      updated_at: T0,
    })
    .execute();
  await r.store.db
    .insertInto("channels")
    .values({
      business_id: businessId,
      channel: "email",
      provider: "smtp",
      config: writeJson({ host: "127.0.0.1", port: 2525, from: "a@example.com" }),
      updated_at: T0,
    })
    .execute();
  /** Sets (replace) or adds to (append) a manual list: joined / left rows in the membership log. */
  const members = (segmentId: string, ids: string[], mode: "append" | "replace") =>
    changeListMembers(
      r,
      businessId,
      segmentId,
      { kind: "id", entries: ids.map((value) => ({ value })) },
      mode,
    );
  /** Delay `days`, then one email: a customer is in flight for a while. */
  const waitThenWrite = (segmentId: string, days: number) =>
    createJourney(r, businessId, {
      name: "Wait, then write",
      trigger: { type: "segment", segmentId },
      start: "wait",
      nodes: {
        wait: { type: "delay", amount: days, unit: "days", next: "later" },
        later: { type: "message", channel: "email", templateId: "tpl_later", next: null },
      },
    });
  return { businessId, segA, segB, members, waitThenWrite };
}

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] membership log → left_segment`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect, { clock: () => new ManualClock(T0) });
    const clock = () => ctx.resources.clock as ManualClock;
    const definitions = new DefinitionCache();
    /**
     * Settles until the membership log has been read to its end. On PostgreSQL the consumer
     * holds back rows while an older transaction is open anywhere on the server (another test's).
     */
    const settleLog = async (r: Resources) => {
      for (let tries = 0; tries < 1_000; tries++) {
        await settle(r, definitions);
        if (!(await hasUnreadMemberships(r.store.db, r.store.dialect === "postgres"))) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error("the membership log was not read to its end");
    };
    const enrollment = (journeyId: string, customerId: string) =>
      ctx.store.db
        .selectFrom("enrollments")
        .selectAll()
        .where("journey_id", "=", journeyId)
        .where("customer_id", "=", customerId)
        .executeTakeFirstOrThrow();

    it("exits an in-flight customer who leaves the segment they entered through, after a paused journey's trigger changed", async () => {
      const r = ctx.resources;
      const { businessId, segA, segB, members, waitThenWrite } = await setUp(r);
      const journey = await waitThenWrite(segA, 3);
      await activateJourney(r, businessId, journey.id);
      await members(segA, ["cus_one", "cus_two"], "append");
      await settleLog(r);
      await pauseJourney(r, businessId, journey.id);
      await updateJourney(r, businessId, journey.id, { trigger: { type: "segment", segmentId: segB } });

      // cus_one leaves A, which they entered through; cus_two joins and leaves B, which they did not.
      await members(segA, ["cus_two"], "replace");
      await members(segB, ["cus_two"], "append");
      await members(segB, [], "replace");
      await settleLog(r);

      const one = await enrollment(journey.id, "cus_one");
      assert.equal(one.state, "exited");
      assert.equal(one.exit_reason, "left_segment");
      const last = await ctx.store.db
        .selectFrom("enrollment_trail")
        .select("entry")
        .where("enrollment_id", "=", one.id)
        .orderBy("seq", "desc")
        .executeTakeFirstOrThrow();
      assert.equal(
        (readJson(last.entry) as { message: string }).message,
        `Exited: left the entry segment ${segA}.`,
      );
      assert.equal((await enrollment(journey.id, "cus_two")).state, "waiting", "leaving B is not leaving A");

      // Active again on B: cus_two, still in flight on A's version, ignores B's comings and goings.
      await activateJourney(r, businessId, journey.id);
      await members(segB, ["cus_two"], "append");
      await members(segB, [], "replace");
      clock().advance(3 * DAY);
      await settleLog(r);
      const sent = await ctx.store.db
        .selectFrom("deliveries")
        .select("customer_id")
        .where("journey_id", "=", journey.id)
        .execute();
      assert.deepEqual(
        sent.map((d) => d.customer_id),
        ["cus_two"],
        "only the customer still in A gets the message",
      );
    });

    it("exits a customer who joins and leaves the entry segment before the engine runs", async () => {
      const r = ctx.resources;
      const { businessId, segA, members, waitThenWrite } = await setUp(r);
      const journey = await waitThenWrite(segA, 1);
      await activateJourney(r, businessId, journey.id);
      await members(segA, ["cus_three"], "append");
      await members(segA, [], "replace");
      await settleLog(r);
      const three = await enrollment(journey.id, "cus_three");
      assert.equal(three.state, "exited");
      assert.equal(three.exit_reason, "left_segment");
    });
  });
}
