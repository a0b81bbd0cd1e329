import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkLimit } from "../plans/plans";
import type { JourneyDefinition, JourneyNode } from "./definition";
import { type ActivationContext, validateForActivation } from "./validate";

const valid: JourneyDefinition = {
  schemaVersion: 1,
  trigger: { type: "segment", segmentId: "seg_new" },
  start: "welcome",
  nodes: {
    welcome: { type: "message", channel: "email", templateId: "tpl_hi", next: "wait" },
    wait: { type: "delay", amount: 1, unit: "days", next: "check" },
    check: { type: "split", segmentId: "seg_active", true: null, false: "nudge" },
    nudge: { type: "message", channel: "sms", templateId: "tpl_nudge", next: null },
  },
};

const context: ActivationContext = {
  segments: [
    { id: "seg_new", evaluable: true },
    { id: "seg_active", evaluable: true },
    { id: "seg_imported", evaluable: false },
  ],
  forms: [{ id: "frm_signup" }],
  templates: [
    { id: "tpl_hi", channel: "email" },
    { id: "tpl_nudge", channel: "sms" },
  ],
  configuredChannels: ["email", "sms"],
  plan: { ok: true },
};

function withNodes(nodes: Record<string, JourneyNode>, start = "welcome"): JourneyDefinition {
  return { ...valid, start, nodes: { ...valid.nodes, ...nodes } };
}

/** "code nodeId" for each problem, in order. */
function problems(definition: JourneyDefinition, ctx: Partial<ActivationContext> = {}): string[] {
  return validateForActivation(definition, { ...context, ...ctx }).problems.map(
    (p) => `${p.code} ${p.nodeId}`,
  );
}

function warnings(definition: JourneyDefinition, ctx: Partial<ActivationContext> = {}): string[] {
  return validateForActivation(definition, { ...context, ...ctx }).warnings.map(
    (w) => `${w.code} ${w.nodeId}`,
  );
}

describe("validateForActivation", () => {
  it("passes the DESIGN example with nothing to report", () => {
    assert.deepEqual(validateForActivation(valid, context), { problems: [], warnings: [] });
  });

  it("needs the entry segment or form to exist", () => {
    assert.deepEqual(problems({ ...valid, trigger: { type: "segment", segmentId: "seg_gone" } }), [
      "entry_segment_missing null",
    ]);
    assert.deepEqual(problems({ ...valid, trigger: { type: "form", formId: "frm_gone" } }), [
      "entry_form_missing null",
    ]);
    assert.deepEqual(problems({ ...valid, trigger: { type: "form", formId: "frm_signup" } }), []);
    assert.deepEqual(problems({ ...valid, trigger: { type: "event", event: "Signed Up" } }), []);
  });

  it("needs each split's segment to exist and be evaluable by a journey", () => {
    const split = (segmentId: string): JourneyNode => ({
      type: "split",
      segmentId,
      true: null,
      false: "nudge",
    });
    assert.deepEqual(problems(withNodes({ check: split("seg_gone") })), ["split_segment_missing check"]);
    assert.deepEqual(problems(withNodes({ check: split("seg_imported") })), [
      "split_segment_not_evaluable check",
    ]);
  });

  it("needs each message's template to exist, match its channel, and the channel to be set up", () => {
    const message = (channel: "email" | "sms" | "push", templateId: string): JourneyNode => ({
      type: "message",
      channel,
      templateId,
      next: null,
    });
    assert.deepEqual(problems(withNodes({ nudge: message("sms", "tpl_gone") })), ["template_missing nudge"]);
    assert.deepEqual(problems(withNodes({ nudge: message("sms", "") })), ["template_missing nudge"]);
    assert.deepEqual(problems(withNodes({ nudge: message("sms", "tpl_hi") })), [
      "template_channel_mismatch nudge",
    ]);
    assert.deepEqual(problems(valid, { configuredChannels: ["email"] }), ["channel_not_configured nudge"]);
    assert.deepEqual(problems(withNodes({ nudge: message("push", "tpl_gone") })), [
      "template_missing nudge",
      "channel_not_configured nudge",
    ]);
  });

  it("needs the start node to exist", () => {
    assert.deepEqual(problems({ ...valid, start: "nowhere" }), ["start_missing null"]);
  });

  it("finds references to nodes that do not exist", () => {
    const def = withNodes({
      check: { type: "split", segmentId: "seg_active", true: "gone", false: "nudge" },
    });
    const report = validateForActivation(def, context);
    assert.deepEqual(
      report.problems.map((p) => `${p.code} ${p.nodeId}`),
      ["dangling_next check"],
    );
    assert.match(report.problems[0]!.message, /true branch to step "gone"/);
  });

  it("finds a cycle and names the node it loops back to", () => {
    const def = withNodes({
      nudge: { type: "message", channel: "sms", templateId: "tpl_nudge", next: "wait" },
    });
    const report = validateForActivation(def, context);
    assert.deepEqual(
      report.problems.map((p) => `${p.code} ${p.nodeId}`),
      ["cycle wait"],
    );
    assert.match(report.problems[0]!.message, /"wait" → "check" → "nudge" → "wait"/);
  });

  it("finds a node that loops to itself", () => {
    assert.deepEqual(
      problems(withNodes({ nudge: { type: "delay", amount: 1, unit: "hours", next: "nudge" } })),
      ["cycle nudge"],
    );
  });

  it("finds nodes the start cannot reach", () => {
    const def = withNodes({
      lost: { type: "message", channel: "email", templateId: "tpl_hi", next: "lost2" },
      lost2: { type: "delay", amount: 2, unit: "hours", next: null },
    });
    assert.deepEqual(problems(def), ["orphan_node lost", "orphan_node lost2"]);
  });

  it("needs each delay to be a whole number above zero", () => {
    for (const amount of [0, -1, 1.5]) {
      assert.deepEqual(
        problems(withNodes({ wait: { type: "delay", amount, unit: "days", next: "check" } })),
        ["bad_delay wait"],
      );
    }
  });

  it("passes the plan's refusal through with its code and message", () => {
    const report = validateForActivation(valid, { ...context, plan: checkLimit("starter", "journeys", 0) });
    assert.deepEqual(
      report.problems.map((p) => [p.code, p.nodeId]),
      [["plan_required", null]],
    );
    assert.match(report.problems[0]!.message, /Omnichannel/);
    assert.deepEqual(problems(valid, { plan: checkLimit("growth", "journeys", 25) }), [
      "plan_limit_reached null",
    ]);
  });

  it("reports every problem at once", () => {
    const def: JourneyDefinition = {
      schemaVersion: 1,
      trigger: { type: "segment", segmentId: "seg_gone" },
      start: "a",
      nodes: {
        a: { type: "message", channel: "whatsapp", templateId: "tpl_nudge", next: "b" },
        b: { type: "split", segmentId: "seg_imported", true: "c", false: "gone" },
        c: { type: "delay", amount: 0, unit: "hours", next: "a" },
        d: { type: "split", segmentId: "seg_none", true: null, false: null },
      },
    };
    assert.deepEqual(problems(def, { plan: checkLimit("growth", "journeys", 30) }), [
      "plan_limit_reached null",
      "entry_segment_missing null",
      "dangling_next b",
      "cycle a",
      "orphan_node d",
      "template_channel_mismatch a",
      "channel_not_configured a",
      "split_segment_not_evaluable b",
      "bad_delay c",
      "split_segment_missing d",
    ]);
    assert.deepEqual(warnings(def), ["split_branches_identical d"]);
  });

  it("warns when both branches of a split go the same way", () => {
    const def = withNodes({
      check: { type: "split", segmentId: "seg_active", true: "nudge", false: "nudge" },
    });
    assert.deepEqual(warnings(def), ["split_branches_identical check"]);
    assert.deepEqual(problems(def), []);
  });

  it("warns when most of the entry segment cannot receive a message, with the percentage", () => {
    const reach = { welcome: { reachable: 900, total: 1000 }, nudge: { reachable: 123, total: 1000 } };
    const report = validateForActivation(valid, { ...context, reach });
    assert.deepEqual(
      report.warnings.map((w) => `${w.code} ${w.nodeId}`),
      ["message_mostly_unreachable nudge"],
    );
    assert.match(
      report.warnings[0]!.message,
      /Only 12% of the entry segment \(123 of 1,000\) can receive sms/,
    );
    assert.deepEqual(warnings(valid, { reach: { nudge: { reachable: 500, total: 1000 } } }), []);
    assert.deepEqual(warnings(valid, { reach: { nudge: { reachable: 0, total: 0 } } }), []);
  });

  it("warns about a delay longer than a year, but not one of exactly a year", () => {
    const delay = (amount: number, unit: "hours" | "days"): JourneyNode => ({
      type: "delay",
      amount,
      unit,
      next: "check",
    });
    assert.deepEqual(warnings(withNodes({ wait: delay(366, "days") })), ["delay_over_a_year wait"]);
    assert.deepEqual(warnings(withNodes({ wait: delay(365, "days") })), []);
    assert.deepEqual(warnings(withNodes({ wait: delay(365 * 24 + 1, "hours") })), ["delay_over_a_year wait"]);
  });

  it("does not mistake Object.prototype names for segments, templates or nodes", () => {
    const def: JourneyDefinition = {
      ...valid,
      trigger: { type: "segment", segmentId: "constructor" },
      start: "toString",
      nodes: { welcome: { type: "message", channel: "email", templateId: "__proto__", next: "valueOf" } },
    };
    assert.deepEqual(problems(def), [
      "entry_segment_missing null",
      "start_missing null",
      "dangling_next welcome",
      "template_missing welcome",
    ]);
  });
});
