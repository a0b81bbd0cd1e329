/**
 * Pause never drops in-flight customers (DESIGN §1), as a property of the engine: pause is a
 * journey status that `runDue` checks for `enter` work only, so it cannot be stated in the pure
 * core. Each run builds a random valid journey twice — P, which is paused (and maybe activated
 * again) at random moments, and its twin Q, which never is — and enters the same customers into
 * both at random times, on a manual clock. Every enrollment P started before the pause must
 * walk the same path, at the same times, with the same trail and the same sends as its twin in
 * Q; and P must start no enrollment while paused, however the entries race the pause.
 * A failure prints fast-check's seed and path; pass both to `fc.assert` to replay it.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { type JourneyNode, MESSAGE_CHANNELS } from "@journeys/core";
import fc from "fast-check";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { ManualClock } from "../clock";
import { activateJourney, pauseJourney } from "../journeys/lifecycle";
import { createJourney } from "../journeys/service";
import type { Resources } from "../resources";
import { changeListMembers } from "../segments/manual-lists";
import { createSegment } from "../segments/segments";
import { writeJson } from "../store/json";
import { DIALECTS } from "../testing/dialects";
import { useStore } from "../testing/use-store";
import { DefinitionCache } from "./definitions";
import { settle } from "./loop";

const T0 = Date.UTC(2026, 2, 2, 9);
const CUSTOMERS = 3;
/** Few runs: each one drives the real engine through a store (some 40 ms on SQLite). */
const RUNS = { sqlite: 30, postgres: 8 };

const id = (i: number) => `n${i}`;

/**
 * Node i points only to later nodes (mostly the next one, so paths are long) or ends; nodes the
 * start cannot reach are dropped.
 */
const steps = fc.integer({ min: 2, max: 6 }).chain((size) => {
  const later = (i: number) =>
    fc.oneof({ weight: 3, arbitrary: fc.constant(i + 1) }, fc.integer({ min: i + 1, max: size - 1 }));
  const target = (i: number) =>
    i + 1 < size ? fc.option(later(i).map(id), { nil: null, freq: 8 }) : fc.constant(null);
  // Messages and delays twice as often as splits: customers wait with sends still ahead.
  const node = (i: number): fc.Arbitrary<JourneyNode> =>
    fc.oneof(
      {
        weight: 2,
        arbitrary: fc
          .record({ channel: fc.constantFrom(...MESSAGE_CHANNELS), next: target(i) })
          .map(({ channel, next }) => ({
            type: "message" as const,
            channel,
            templateId: `tpl_${channel}`,
            next,
          })),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          type: fc.constant("delay" as const),
          amount: fc.integer({ min: 1, max: 3 }),
          unit: fc.constantFrom("hours" as const, "days" as const),
          next: target(i),
        }),
      },
      {
        weight: 1,
        // "0" / "1": the index of one of the two split segments, whose ids the store assigns.
        arbitrary: fc.record({
          type: fc.constant("split" as const),
          segmentId: fc.constantFrom("0", "1"),
          true: target(i),
          false: target(i),
        }),
      },
    );
  return fc.tuple(...Array.from({ length: size }, (_, i) => node(i))).map((nodes) => {
    const all = Object.fromEntries(nodes.map((n, i) => [id(i), n]));
    const reached = new Set<string>();
    const walk = (at: string | null) => {
      if (at === null || reached.has(at)) return;
      reached.add(at);
      const n = all[at]!;
      if (n.type === "split") [n.true, n.false].forEach(walk);
      else walk(n.next);
    };
    walk(id(0));
    return Object.fromEntries(Object.entries(all).filter(([k]) => reached.has(k)));
  });
});

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const scenario = fc.record({
  nodes: steps,
  /** Per customer, the split segments (by index) they are in. */
  members: fc.array(fc.subarray([0, 1]), { minLength: CUSTOMERS, maxLength: CUSTOMERS }),
  /**
   * Entries into both journeys, in minutes from the pause: mostly in the hours before it (so
   * that they are in flight), some after it; or (null) racing it: queued at its moment, and
   * not yet run by the engine when it comes.
   */
  entries: fc.array(
    fc.record({
      customer: fc.nat(CUSTOMERS - 1),
      at: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: -6 * 60, max: -1 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 48 * 60 }) },
        { weight: 1, arbitrary: fc.constant(null) },
      ),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  /** Minutes after the pause that the journey is activated again; null: never. */
  activateAfter: fc.option(fc.integer({ min: 0, max: 72 * 60 }), { nil: null }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

/**
 * Run before the random ones, so every run of the suite pauses with customers in flight: two
 * waiting a day with a split and a message ahead, one racing the pause, one entering during it.
 */
const WAITING_AT_PAUSE: Scenario = {
  nodes: {
    n0: { type: "message", channel: "email", templateId: "tpl_email", next: "n1" },
    n1: { type: "delay", amount: 1, unit: "days", next: "n2" },
    n2: { type: "split", segmentId: "0", true: "n3", false: null },
    n3: { type: "message", channel: "sms", templateId: "tpl_sms", next: null },
  },
  members: [[0], [], [1]],
  entries: [
    { customer: 0, at: -60 },
    { customer: 1, at: -1 },
    { customer: 2, at: null },
    { customer: 2, at: 30 },
  ],
  activateAfter: 120,
};

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] pause (property)`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect, { clock: () => new ManualClock(T0) });
    const definitions = new DefinitionCache();
    let businessId = "";
    const segments: string[] = [];
    let caseNo = 0;
    let inFlightAtPause = 0;

    before(async () => {
      if (dialect.skip) return;
      const r = ctx.resources;
      ({ businessId } = await createBusinessWithOwner(r, {
        name: "Pause",
        plan: "enterprise",
        ownerEmail: "pause@example.com",
      }));
      for (const name of ["X", "Y"])
        segments.push((await createSegment(r, businessId, { name, rule: null })).id);
      await r.store.db
        .insertInto("templates")
        .values(
          MESSAGE_CHANNELS.map((channel) => ({
            business_id: businessId,
            id: `tpl_${channel}`,
            name: channel,
            channel,
            content: writeJson({ subject: "Hi", body: "Hi", text: "Hi" }),
            transactional: 0,
            created_at: T0,
            updated_at: T0,
          })),
        )
        .execute();
      await r.store.db
        .insertInto("channels")
        .values(
          MESSAGE_CHANNELS.map((channel) => ({
            business_id: businessId,
            channel,
            provider: "test",
            config: writeJson({}),
            updated_at: T0,
          })),
        )
        .execute();
    });

    /** Settles, then wakes the engine at each due time up to `until`, settling each time. */
    async function runUntil(r: Resources, until: number) {
      const clock = r.clock as ManualClock;
      for (;;) {
        await settle(r, definitions);
        const next = await r.store.db
          .selectFrom("engine_work")
          .select((eb) => eb.fn.min("run_at").as("at"))
          .executeTakeFirst();
        const at = next?.at === null || next?.at === undefined ? null : Number(next.at);
        if (at === null || at > until) return;
        assert.ok(at > clock.now(), "settle left due work behind");
        clock.set(at);
      }
    }

    async function run(r: Resources, s: Scenario) {
      const clock = r.clock as ManualClock;
      const n = caseNo++;
      const customers = Array.from({ length: CUSTOMERS }, (_, i) => `cus_p${n}_${i}`);
      await r.store.db
        .insertInto("customers")
        .values(
          customers.map((customer) => ({
            business_id: businessId,
            id: customer,
            user_id: customer,
            email: null,
            phone: null,
            timezone: null,
            locale: null,
            attributes: "{}",
            subscriptions: "{}",
            addresses: "{}",
            created_at: T0,
            updated_at: T0,
          })),
        )
        .execute();
      for (const [index, segmentId] of segments.entries()) {
        const ids = customers.filter((_, c) => s.members[c]!.includes(index));
        const entries = ids.map((value) => ({ value }));
        if (ids.length > 0)
          await changeListMembers(r, businessId, segmentId, { kind: "id", entries }, "append");
      }
      const nodes = Object.fromEntries(
        Object.entries(s.nodes).map(([k, v]) => [
          k,
          v.type === "split" ? { ...v, segmentId: segments[Number(v.segmentId)]! } : v,
        ]),
      );
      const journey = async (name: string) => {
        const trigger = { type: "event", event: `Go ${n}` };
        const created = await createJourney(r, businessId, { name, trigger, start: id(0), nodes });
        await activateJourney(r, businessId, created.id);
        return created.id;
      };
      const paused = await journey(`P ${n}`);
      const twin = await journey(`Q ${n}`);

      /** P's enrollments when it was paused: those started before. */
      const before = new Set<string>();
      // The timeline, in order, starting now: entries into both, the pause, the activation.
      // The engine catches up before each moment (as a running worker would), then it happens.
      const start = clock.now();
      const pauseAt = start + DAY;
      const activateAt = s.activateAfter === null ? null : pauseAt + s.activateAfter * MINUTE;
      const enterBoth = (customer: number) => enter(r, [paused, twin], customers[customer]!);
      const actions: { at: number; act: () => Promise<unknown> }[] = [
        ...s.entries.flatMap((e) =>
          e.at === null ? [] : [{ at: pauseAt + e.at * MINUTE, act: () => enterBoth(e.customer) }],
        ),
        {
          at: pauseAt,
          act: async () => {
            for (const e of s.entries) if (e.at === null) await enterBoth(e.customer);
            const now = await enrollments(r, paused);
            for (const e of now) before.add(e.id);
            inFlightAtPause += now.filter((e) => e.state !== "exited").length;
            await pauseJourney(r, businessId, paused);
          },
        },
        ...(activateAt === null
          ? []
          : [{ at: activateAt, act: () => activateJourney(r, businessId, paused) }]),
      ].sort((a, b) => a.at - b.at);
      for (const action of actions) {
        await runUntil(r, action.at);
        clock.set(action.at);
        await action.act();
      }
      await runUntil(r, Number.POSITIVE_INFINITY);

      const ofQ = await enrollments(r, twin);
      for (const e of await enrollments(r, paused)) {
        if (!before.has(e.id)) {
          // Started after the pause: only an activation may have let it in, into a new run.
          const afterActivation = activateAt !== null && Number(e.entered_at) >= activateAt;
          assert.ok(afterActivation && Number(e.run) === 2, `${e.customer_id} entered while paused`);
          continue;
        }
        const q = ofQ.find((x) => x.customer_id === e.customer_id);
        assert.ok(q, `${e.customer_id} is in P but not in its twin`);
        assert.deepEqual(
          await story(r, e),
          await story(r, q),
          `${e.customer_id}: P and its unpaused twin differ`,
        );
      }
    }

    it("keeps every in-flight enrollment on its path and its sends, and starts none while paused", async () => {
      await fc.assert(
        fc.asyncProperty(scenario, (s) => run(ctx.resources, s)),
        { numRuns: RUNS[dialect.name], examples: [[WAITING_AT_PAUSE]] },
      );
      assert.ok(inFlightAtPause >= 2, "the runs paused with customers in flight");
    });

    /** What an event trigger's ingestion queues: one `enter` per journey, due now. */
    async function enter(r: Resources, journeyIds: string[], customerId: string) {
      const now = r.clock.now();
      await r.store.db
        .insertInto("engine_work")
        .values(
          journeyIds.map((journeyId) => ({
            business_id: businessId,
            kind: "enter",
            journey_id: journeyId,
            customer_id: customerId,
            enrollment_id: null,
            run_at: now,
            payload: null,
            created_at: now,
          })),
        )
        .execute();
    }

    function enrollments(r: Resources, journeyId: string) {
      return r.store.db
        .selectFrom("enrollments")
        .selectAll()
        .where("business_id", "=", businessId)
        .where("journey_id", "=", journeyId)
        .orderBy("run")
        .execute();
    }

    /** An enrollment's observable life, its own ids masked so twins compare equal. */
    async function story(r: Resources, e: Awaited<ReturnType<typeof enrollments>>[number]) {
      const mask = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll(e.id, "ENR"));
      const trail = await r.store.db
        .selectFrom("enrollment_trail")
        .select(["seq", "at", "entry"])
        .where("business_id", "=", businessId)
        .where("enrollment_id", "=", e.id)
        .orderBy("seq")
        .execute();
      const sends = await r.store.db
        .selectFrom("deliveries")
        .select(["delivery_key", "node_id", "channel", "template_id", "status", "created_at"])
        .where("business_id", "=", businessId)
        .where("enrollment_id", "=", e.id)
        .orderBy("node_id")
        .execute();
      return mask({
        state: e.state,
        exitReason: e.exit_reason,
        nodeId: e.node_id,
        waitUntil: e.wait_until === null ? null : Number(e.wait_until),
        visited: e.visited,
        enteredAt: Number(e.entered_at),
        updatedAt: Number(e.updated_at),
        trail: trail.map((t) => ({ seq: Number(t.seq), at: Number(t.at), entry: t.entry })),
        sends: sends.map((d) => ({ ...d, created_at: Number(d.created_at) })),
      });
    }
  });
}
