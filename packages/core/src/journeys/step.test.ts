import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type JourneyDefinition, splitSegmentIds } from "./definition";
import { type Enrollment, type EnrollmentCommand, newEnrollment } from "./enrollment";
import { step } from "./step";

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
    check: { type: "split", segmentId: "seg_active", true: null, false: "nudge" },
    nudge: { type: "message", channel: "sms", templateId: "tpl_nudge", next: null },
  },
};

const fresh = newEnrollment({ id: "enr_1", journeyId: "jrn_1", version: 1, customerId: "cus_1", run: 1 });
const member = (...segments: string[]) => ({ isMember: (id: string) => segments.includes(id) });

/** Commands without trail entries, and the trail messages, for readable assertions. */
function split(commands: EnrollmentCommand[]) {
  return {
    actions: commands.filter((c) => c.type !== "trail"),
    trail: commands.flatMap((c) => (c.type === "trail" ? [c.entry.message] : [])),
  };
}

function entered(definition = welcome): Enrollment {
  return step(definition, fresh, { type: "enter" }, T0, member()).enrollment;
}

describe("step", () => {
  it("enters at the start, queues the first message and waits at the delay", () => {
    const { enrollment, commands } = step(welcome, fresh, { type: "enter" }, T0, member());
    assert.deepEqual(enrollment, {
      ...fresh,
      state: "waiting",
      nodeId: "wait",
      waitUntil: T0 + DAY,
      visited: ["welcome", "wait"],
    });
    assert.deepEqual(split(commands), {
      actions: [
        {
          type: "send",
          nodeId: "welcome",
          channel: "email",
          templateId: "tpl_hi",
          deliveryKey: "enr_1:welcome",
        },
        { type: "wake_at", at: T0 + DAY },
      ],
      trail: [
        'Entered the journey at step "welcome".',
        'Queued email message "welcome" with template tpl_hi.',
        'Waiting 1 day at delay "wait", until 2026-01-02T09:00:00.000Z.',
      ],
    });
  });

  it("on a due wake, explains the split it takes and ends the path", () => {
    const { enrollment, commands } = step(welcome, entered(), { type: "wake" }, T0 + DAY, member());
    assert.equal(enrollment.state, "exited");
    assert.equal(enrollment.exitReason, "completed");
    assert.equal(enrollment.nodeId, "nudge");
    assert.equal(enrollment.waitUntil, null);
    assert.deepEqual(split(commands), {
      actions: [
        {
          type: "send",
          nodeId: "nudge",
          channel: "sms",
          templateId: "tpl_nudge",
          deliveryKey: "enr_1:nudge",
        },
        { type: "exited", reason: "completed" },
      ],
      trail: [
        'Waited at delay "wait" until 2026-01-02T09:00:00.000Z.',
        'Took the false branch of split "check": not a member of segment seg_active.',
        'Queued sms message "nudge" with template tpl_nudge.',
        'Exited: reached the end after step "nudge".',
      ],
    });
  });

  it("asks only about the segments the definition's splits name", () => {
    const asked = new Set<string>();
    const spy = {
      isMember: (id: string) => {
        asked.add(id);
        return false;
      },
    };
    step(
      welcome,
      step(welcome, fresh, { type: "enter" }, T0, spy).enrollment,
      { type: "wake" },
      T0 + DAY,
      spy,
    );
    assert.deepEqual([...asked], splitSegmentIds(welcome));
    assert.deepEqual(splitSegmentIds(welcome), ["seg_active"]);
  });

  it("takes the true branch for a member", () => {
    const { commands } = step(welcome, entered(), { type: "wake" }, T0 + DAY + 5, member("seg_active"));
    assert.deepEqual(split(commands).trail.slice(1), [
      'Took the true branch of split "check": a member of segment seg_active.',
      'Exited: reached the end after step "check".',
    ]);
  });

  it("re-emits the wake and does nothing else when woken early", () => {
    const waiting = entered();
    const result = step(welcome, waiting, { type: "wake" }, T0 + DAY - 1, member());
    assert.equal(result.enrollment, waiting);
    assert.deepEqual(result.commands, [{ type: "wake_at", at: T0 + DAY }]);
  });

  it("exits at once when the customer leaves the entry segment, mid-delay", () => {
    const { enrollment, commands } = step(welcome, entered(), { type: "left_segment" }, T0 + HOUR, member());
    assert.equal(enrollment.exitReason, "left_segment");
    assert.equal(enrollment.nodeId, "wait");
    assert.deepEqual(split(commands), {
      actions: [{ type: "exited", reason: "left_segment" }],
      trail: ["Exited: left the entry segment seg_new."],
    });
  });

  it("ignores left_segment for journeys not triggered by a segment", () => {
    const byForm: JourneyDefinition = { ...welcome, trigger: { type: "form", formId: "frm_1" } };
    const waiting = entered(byForm);
    assert.deepEqual(step(byForm, waiting, { type: "left_segment" }, T0, member()), {
      enrollment: waiting,
      commands: [],
    });
  });

  it("exits with reason archived, before or after entering", () => {
    for (const enrollment of [fresh, entered()]) {
      const result = step(welcome, enrollment, { type: "archive" }, T0, member());
      assert.equal(result.enrollment.exitReason, "archived");
      assert.deepEqual(split(result.commands).actions, [{ type: "exited", reason: "archived" }]);
    }
  });

  it("treats every input for an exited enrollment as a no-op", () => {
    const exited = step(welcome, entered(), { type: "archive" }, T0, member()).enrollment;
    for (const type of ["enter", "wake", "left_segment", "archive"] as const) {
      assert.deepEqual(step(welcome, exited, { type }, T0 + 10 * DAY, member()), {
        enrollment: exited,
        commands: [],
      });
    }
  });

  it("enters only once and wakes only when waiting", () => {
    const waiting = entered();
    assert.deepEqual(step(welcome, waiting, { type: "enter" }, T0, member()).commands, []);
    assert.deepEqual(step(welcome, fresh, { type: "wake" }, T0, member()).commands, []);
  });

  it("ends a journey that has nowhere to go with a reason, not a loop", () => {
    const looping: JourneyDefinition = {
      ...welcome,
      start: "a",
      nodes: {
        a: { type: "message", channel: "push", templateId: "t", next: "b" },
        b: { type: "split", segmentId: "s", true: "a", false: "gone" },
      },
    };
    const loop = step(looping, fresh, { type: "enter" }, T0, member("s"));
    assert.equal(loop.enrollment.exitReason, "definition_invalid");
    assert.equal(split(loop.commands).actions.filter((c) => c.type === "send").length, 1);
    assert.match(split(loop.commands).trail.at(-1)!, /step "a" would run a second time/);

    const dangling = step(looping, fresh, { type: "enter" }, T0, member());
    assert.equal(dangling.enrollment.exitReason, "definition_invalid");
    assert.match(split(dangling.commands).trail.at(-1)!, /step "gone" does not exist in version 1/);
  });

  it("exits when woken at a node the version does not have as a delay", () => {
    const waiting = entered();
    const edited: JourneyDefinition = { ...welcome, nodes: { welcome: welcome.nodes.welcome! } };
    const result = step(edited, waiting, { type: "wake" }, T0 + DAY, member());
    assert.equal(result.enrollment.exitReason, "definition_invalid");
  });

  it("never mutates what it is given", () => {
    const waiting = Object.freeze({
      ...entered(),
      visited: Object.freeze([...entered().visited]),
    }) as Enrollment;
    const result = step(welcome, waiting, { type: "wake" }, T0 + DAY, member());
    assert.equal(result.enrollment.state, "exited");
    assert.deepEqual(waiting.visited, ["welcome", "wait"]);
  });

  it("keeps huge delays at a storable time and treats a non-positive one as no wait", () => {
    const huge: JourneyDefinition = {
      ...welcome,
      nodes: { ...welcome.nodes, wait: { type: "delay", amount: 1e300, unit: "days", next: null } },
    };
    assert.equal(entered(huge).waitUntil, 8_640_000_000_000_000);
    const zero: JourneyDefinition = {
      ...welcome,
      nodes: { ...welcome.nodes, wait: { type: "delay", amount: -3, unit: "days", next: null } },
    };
    assert.equal(entered(zero).waitUntil, T0);
  });
});
