import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Condition } from "./condition";
import { dependencies } from "./dependencies";

describe("dependencies", () => {
  it("lists attributes, event counters, subscriptions and segments, however deeply nested", () => {
    const purchased: Condition = {
      event: "Purchased",
      op: "atLeast",
      count: 1,
      where: [{ property: "plan", op: "exists" }],
    };
    const deps = dependencies({
      all: [
        { attribute: "email", op: "exists" },
        { any: [{ not: { attribute: "plan", op: "eq", value: "pro" } }, { subscribed: "sms" }] },
        purchased,
        { not: { event: "Purchased", op: "atMost", count: 0, where: [{ property: "plan", op: "exists" }] } },
        { inSegment: "seg_vip" },
      ],
    });
    assert.deepEqual(deps.attributes, new Set(["email", "plan"]));
    assert.deepEqual([...deps.eventKeys], [['["Purchased",[["plan","exists"]]]', purchased]]);
    assert.deepEqual(deps.subscriptions, new Set(["sms"]));
    assert.deepEqual(deps.segments, new Set(["seg_vip"]));
    assert.equal(deps.timeRelative, false);
  });

  it("marks rules whose answer moves with time alone", () => {
    const timeRelative = (rule: Condition) => dependencies({ not: rule }).timeRelative;
    assert.equal(timeRelative({ event: "Opened", op: "atLeast", count: 1, withinDays: 7 }), true);
    assert.equal(timeRelative({ attribute: "seenAt", op: "withinLastDays", value: 7 }), true);
    assert.equal(timeRelative({ attribute: "birthday", op: "anniversaryToday" }), true);
    assert.equal(timeRelative({ attribute: "signup", op: "before", value: "2024-01-01" }), false);
    assert.equal(timeRelative({ attribute: "signup", op: "after", value: "2024-01-01" }), false);
    assert.equal(timeRelative({ event: "Opened", op: "atLeast", count: 1 }), false);
  });

  it("adds the time zone to anniversaries: 'today' is the customer's today", () => {
    assert.deepEqual(
      dependencies({ attribute: "birthday", op: "anniversaryToday" }).attributes,
      new Set(["birthday", "timezone"]),
    );
  });
});
