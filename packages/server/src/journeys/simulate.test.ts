import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../clock";
import { api, customerId, expect, identify, send } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";

const START = Date.UTC(2026, 0, 5, 9);
const DAY = 86_400_000;

interface Simulated {
  customerId: string;
  timeline: { type: string; nodeId: string; at: number; branch?: string; reason?: string }[];
  sends: unknown[];
  endedAt: number | null;
  exitReason: string | null;
}

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] journeys: simulation`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect, { clock: () => new ManualClock(START) });
    const call = (method: "GET" | "POST", path: string, body?: unknown) =>
      api(ctx, ctx.alpha, method, path, body);
    const rows = async (table: "deliveries" | "enrollments") =>
      Number(
        (
          await ctx.store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it("runs each customer of the entry segment through the journey in virtual time, writing and sending nothing", async () => {
      const segment = (name: string, attribute: string, value: unknown) =>
        call("POST", "/segments", { name, rule: { attribute, op: "eq", value } }).then(expect(201));
      const cohort = await segment("Cohort", "cohort", "sim");
      const vipSegment = await segment("VIP", "vip", true);
      // The whole entry segment: one VIP (the true branch), one not (the false branch).
      await send(
        ctx,
        ctx.alpha,
        identify("vip", {
          cohort: "sim",
          vip: true,
          email: "vip@alpha.test",
          subscriptions: { email: "subscribed" },
        }),
        identify("regular", { cohort: "sim", email: "regular@alpha.test" }),
        identify("outsider", { vip: true, email: "outsider@alpha.test" }),
      );
      const journey = await call("POST", "/journeys", {
        name: "Welcome series",
        trigger: { type: "segment", segmentId: cohort.id },
        start: "welcome",
        nodes: {
          welcome: { type: "message", channel: "email", templateId: "tpl_welcome", next: "wait" },
          wait: { type: "delay", amount: 1, unit: "days", next: "check" },
          check: { type: "split", segmentId: vipSegment.id, true: "nudge", false: null },
          nudge: { type: "message", channel: "email", templateId: "tpl_nudge", next: null },
        },
      }).then(expect(201));

      const sim = await call("POST", `/journeys/${journey.id}/simulate`, { sample: 10 }).then(expect(200));
      assert.equal(sim.startedAt, START);
      const [vip, regular] = [
        await customerId(ctx, ctx.alpha, "vip"),
        await customerId(ctx, ctx.alpha, "regular"),
      ];
      assert.deepEqual(sim.customers.map((c: Simulated) => c.customerId).sort(), [vip, regular].sort());
      const of = (id: string): Simulated => sim.customers.find((c: Simulated) => c.customerId === id);
      // Each decision as type@node+days since the start, then the branch taken or the exit reason.
      const path = (c: Simulated) =>
        c.timeline.map((e) => `${e.type}@${e.nodeId}+${(e.at - START) / DAY}d${e.branch ?? e.reason ?? ""}`);
      const sent = (at: number, nodeId: string, wouldSkip: string | null) => ({
        at,
        nodeId,
        channel: "email",
        templateId: `tpl_${nodeId}`,
        deliveryKey: `sim:${nodeId}`,
        wouldSkip,
      });

      assert.deepEqual(path(of(vip)), [
        "entered@welcome+0d",
        "queued@welcome+0d",
        "waiting@wait+0d",
        "waited@wait+1d",
        "branched@check+1dtrue",
        "queued@nudge+1d",
        "exited@nudge+1dcompleted",
      ]);
      assert.deepEqual(of(vip).sends, [sent(START, "welcome", null), sent(START + DAY, "nudge", null)]);
      assert.deepEqual([of(vip).endedAt, of(vip).exitReason], [START + DAY, "completed"]);

      assert.deepEqual(path(of(regular)), [
        "entered@welcome+0d",
        "queued@welcome+0d",
        "waiting@wait+0d",
        "waited@wait+1d",
        "branched@check+1dfalse",
        "exited@check+1dcompleted",
      ]);
      // Not subscribed to email: the welcome would be skipped, and the simulation says why.
      assert.deepEqual(of(regular).sends, [sent(START, "welcome", "no_consent")]);
      assert.deepEqual([of(regular).endedAt, of(regular).exitReason], [START + DAY, "completed"]);

      assert.deepEqual(sim.perNode, {
        welcome: { reached: 2, queued: 2, trueBranch: 0, falseBranch: 0, exitedHere: 0 },
        wait: { reached: 2, queued: 0, trueBranch: 0, falseBranch: 0, exitedHere: 0 },
        check: { reached: 2, queued: 0, trueBranch: 1, falseBranch: 1, exitedHere: 1 },
        nudge: { reached: 1, queued: 1, trueBranch: 0, falseBranch: 0, exitedHere: 1 },
      });
      assert.deepEqual([await rows("enrollments"), await rows("deliveries")], [0, 0]);
    });

    it("simulates an event-triggered journey only for an event that passes its filters", async () => {
      await send(ctx, ctx.alpha, identify("buyer", { email: "buyer@alpha.test" }));
      const buyer = await customerId(ctx, ctx.alpha, "buyer");
      const journey = await call("POST", "/journeys", {
        name: "Big orders",
        trigger: { type: "event", event: "Order", where: [{ property: "total", op: "gte", value: 100 }] },
        start: "wait",
        nodes: { wait: { type: "delay", amount: 1, unit: "days", next: null } },
      }).then(expect(201));
      const small = await call("POST", `/journeys/${journey.id}/simulate`, {
        customerId: buyer,
        event: { total: 20 },
      }).then(expect(200));
      assert.deepEqual(small.customers, []);
      assert.match(small.wouldNotEnter, /does not pass the trigger's filters/);
      const big = await call("POST", `/journeys/${journey.id}/simulate`, {
        customerId: buyer,
        event: { total: 250 },
      }).then(expect(200));
      assert.equal(big.customers.length, 1);
      assert.equal(big.wouldNotEnter, undefined);
    });
  });
}
