import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JourneyDefinition } from "./definition";
import { countPerNode, simulate } from "./simulate";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1, 9);

const welcome: JourneyDefinition = {
  schemaVersion: 1,
  trigger: { type: "segment", segmentId: "seg_new" },
  start: "welcome",
  nodes: {
    welcome: { type: "message", channel: "email", templateId: "tpl_hi", next: "wait" },
    wait: { type: "delay", amount: 1, unit: "days", next: "check" },
    check: { type: "split", segmentId: "seg_active", true: "tips", false: "nudge" },
    nudge: { type: "message", channel: "sms", templateId: "tpl_nudge", next: null },
    tips: { type: "delay", amount: 6, unit: "hours", next: "tip" },
    tip: { type: "message", channel: "push", templateId: "tpl_tip", next: null },
  },
};

const active = { isMember: (id: string) => id === "seg_active" };
const inactive = { isMember: () => false };

describe("simulate", () => {
  it("runs a customer through the journey in virtual time", () => {
    const run = simulate(welcome, active, T0);
    assert.deepEqual(
      run.sends.map((s) => [s.nodeId, s.channel, s.at - T0]),
      [
        ["welcome", "email", 0],
        ["tip", "push", DAY + 6 * HOUR],
      ],
    );
    assert.equal(run.exitReason, "completed");
    assert.equal(run.endedAt, T0 + DAY + 6 * HOUR);
    assert.deepEqual(
      run.timeline.map((e) => e.type),
      ["entered", "queued", "waiting", "waited", "branched", "waiting", "waited", "queued", "exited"],
    );
    assert.equal(run.sends[0]?.deliveryKey, "sim:welcome");
  });

  it("exits when the customer leaves the entry segment mid-delay, sending nothing more", () => {
    const run = simulate(welcome, inactive, T0, { leftSegmentAt: T0 + 3 * HOUR });
    assert.deepEqual(
      run.sends.map((s) => s.nodeId),
      ["welcome"],
    );
    assert.equal(run.exitReason, "left_segment");
    assert.equal(run.endedAt, T0 + 3 * HOUR);
  });

  it("ignores leaving a segment for a form-triggered journey", () => {
    const byForm: JourneyDefinition = { ...welcome, trigger: { type: "form", formId: "frm_1" } };
    const run = simulate(byForm, inactive, T0, { leftSegmentAt: T0 + 3 * HOUR });
    assert.equal(run.exitReason, "completed");
    assert.deepEqual(
      run.sends.map((s) => s.nodeId),
      ["welcome", "nudge"],
    );
  });

  it("stops at the horizon, still waiting", () => {
    const run = simulate(welcome, active, T0, { until: T0 + DAY + HOUR });
    assert.equal(run.exitReason, null);
    assert.equal(run.endedAt, null);
    assert.equal(run.enrollment.state, "waiting");
    assert.equal(run.enrollment.nodeId, "tips");
  });

  it("stops at the step cap", () => {
    const run = simulate(welcome, active, T0, { maxSteps: 2 });
    assert.equal(run.enrollment.nodeId, "tips");
    assert.equal(run.exitReason, null);
  });
});

describe("countPerNode", () => {
  it("counts customers reaching each node, branches taken, messages queued and exits", () => {
    const timelines = [active, inactive, inactive].map((facts) => simulate(welcome, facts, T0).timeline);
    const counts = countPerNode(timelines);
    assert.deepEqual(counts, {
      welcome: { reached: 3, queued: 3, trueBranch: 0, falseBranch: 0, exitedHere: 0 },
      wait: { reached: 3, queued: 0, trueBranch: 0, falseBranch: 0, exitedHere: 0 },
      check: { reached: 3, queued: 0, trueBranch: 1, falseBranch: 2, exitedHere: 0 },
      nudge: { reached: 2, queued: 2, trueBranch: 0, falseBranch: 0, exitedHere: 2 },
      tips: { reached: 1, queued: 0, trueBranch: 0, falseBranch: 0, exitedHere: 0 },
      tip: { reached: 1, queued: 1, trueBranch: 0, falseBranch: 0, exitedHere: 1 },
    });
  });

  it("counts a node id such as __proto__ like any other", () => {
    const def: JourneyDefinition = {
      ...welcome,
      start: "__proto__",
      nodes: Object.fromEntries([
        ["__proto__", { type: "message", channel: "email", templateId: "t", next: null }],
      ]),
    };
    const counts = countPerNode([simulate(def, active, T0).timeline]);
    assert.deepEqual(Object.keys(counts), ["__proto__"]);
    assert.equal(Object.getOwnPropertyDescriptor(counts, "__proto__")?.value.queued, 1);
  });
});
