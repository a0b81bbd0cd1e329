import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Condition } from "./condition";
import { parseCondition } from "./parse";

function problems(input: unknown, options = {}) {
  const parsed = parseCondition(input, options);
  assert.equal(parsed.ok, false, "expected the rule to be refused");
  return parsed.ok ? [] : parsed.error.map(({ path, code }) => ({ path, code }));
}

function nested(depth: number): unknown {
  let rule: unknown = { attribute: "plan", op: "exists" };
  for (let i = 1; i < depth; i++) rule = { not: rule };
  return rule;
}

describe("parseCondition", () => {
  it("accepts every condition kind of DESIGN §5 and returns it unchanged", () => {
    const rule: Condition = {
      all: [
        {
          any: [
            { attribute: "plan", op: "eq", value: "pro" },
            { attribute: "seats", op: "gte", value: 5 },
          ],
        },
        { not: { subscribed: "sms" } },
        { attribute: "email", op: "exists" },
        { attribute: "tier", op: "in", value: ["gold", "silver", 3, true] },
        { attribute: "signedUpAt", op: "before", value: "2024-01-01" },
        { attribute: "lastSeenAt", op: "after", value: 1_700_000_000_000 },
        { attribute: "lastSeenAt", op: "withinLastDays", value: 7 },
        { attribute: "birthday", op: "anniversaryToday" },
        { attribute: "createdAt", op: "lt", value: "2024-06-01T10:00:00Z" },
        {
          event: "Purchased",
          op: "atLeast",
          count: 2,
          withinDays: 30,
          where: [
            { property: "total", op: "gt", value: 50 },
            { property: "coupon", op: "notExists" },
          ],
        },
        { event: "Churned", op: "atMost", count: 0 },
        { subscribed: "whatsapp" },
        { inSegment: "seg_123" },
      ],
    };
    assert.deepEqual(parseCondition(JSON.parse(JSON.stringify(rule))), { ok: true, value: rule });
  });

  it("lists every problem at once, each with its JSON path and code", () => {
    const input = {
      all: [
        { attribute: "plan", op: "equals", value: "pro" },
        { attribute: "", op: "eq" },
        { attribute: "age", op: "gt", value: "old" },
        { subscribed: "fax" },
        { inSegment: "vip" },
        {
          event: "Purchased",
          op: "atLeast",
          count: -1,
          withinDays: 0,
          where: [{ property: "x", op: "before" }],
        },
        { attribute: "plan", op: "exists", value: "pro", extra: 1 },
        { attribute: "plan", op: "eq", value: "pro", any: [] },
        "plan = pro",
        {},
      ],
    };
    assert.deepEqual(problems(input), [
      { path: "rule.all[0].op", code: "unknown_op" },
      { path: "rule.all[1].attribute", code: "bad_field" },
      { path: "rule.all[1].value", code: "missing_value" },
      { path: "rule.all[2].value", code: "bad_value" },
      { path: "rule.all[3].subscribed", code: "unknown_channel" },
      { path: "rule.all[4].inSegment", code: "bad_segment_id" },
      { path: "rule.all[5].count", code: "bad_field" },
      { path: "rule.all[5].withinDays", code: "bad_field" },
      { path: "rule.all[5].where[0].op", code: "unknown_op" },
      { path: "rule.all[6].extra", code: "unknown_field" },
      { path: "rule.all[6].value", code: "unexpected_value" },
      { path: "rule.all[7]", code: "ambiguous_condition" },
      { path: "rule.all[8]", code: "not_an_object" },
      { path: "rule.all[9]", code: "unknown_condition" },
    ]);
  });

  it("gives messages a marketer can act on", () => {
    const parsed = parseCondition({
      event: "Purchased",
      op: "atLeast",
      count: 1,
      where: [{ property: "at", op: "withinLastDays", value: 3 }],
    });
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.match(
      parsed.error[0]?.message ?? "",
      /"withinLastDays" for an event property; use one of eq, neq/,
    );
  });

  it("checks the value each op needs", () => {
    const bad: [unknown, string, string][] = [
      [{ attribute: "a", op: "in", value: [] }, "rule.value", "bad_value"],
      [{ attribute: "a", op: "in", value: "gold" }, "rule.value", "bad_value"],
      [{ attribute: "a", op: "startsWith", value: 44 }, "rule.value", "bad_value"],
      [{ attribute: "a", op: "eq", value: [1] }, "rule.value", "bad_value"],
      [{ attribute: "a", op: "eq", value: null }, "rule.value", "missing_value"],
      [{ attribute: "a", op: "before", value: "last week" }, "rule.value", "bad_value"],
      [{ attribute: "a", op: "after", value: "2023-02-29" }, "rule.value", "bad_value"],
      [{ attribute: "a", op: "withinLastDays", value: -3 }, "rule.value", "bad_value"],
      [{ attribute: "a", op: "withinLastDays", value: "7" }, "rule.value", "bad_value"],
      [{ attribute: "a", op: "lt", value: Number.POSITIVE_INFINITY }, "rule.value", "bad_value"],
      [{ attribute: "a" }, "rule.op", "missing_field"],
      [{ event: "E", op: "atLeast" }, "rule.count", "missing_field"],
      [{ event: "E", op: "sometimes", count: 1 }, "rule.op", "unknown_op"],
      [{ event: "E", op: "atLeast", count: 1.5 }, "rule.count", "bad_field"],
      [{ event: "E", op: "atLeast", count: 1, where: {} }, "rule.where", "bad_field"],
      [{ all: { attribute: "a", op: "exists" } }, "rule.all", "bad_field"],
    ];
    for (const [input, path, code] of bad) {
      const found = problems(input);
      assert.equal(found.length > 0, true);
      assert.deepEqual(found.at(-1), { path, code }, JSON.stringify(input));
    }
    assert.deepEqual(problems({ attribute: "a", op: "in", value: ["ok", { no: 1 }, null] }), [
      { path: "rule.value[1]", code: "bad_value" },
      { path: "rule.value[2]", code: "bad_value" },
    ]);
  });

  it("tolerates value: null on ops without a value, and withinDays / where: null as absent", () => {
    assert.deepEqual(parseCondition({ attribute: "a", op: "exists", value: null }), {
      ok: true,
      value: { attribute: "a", op: "exists" },
    });
    assert.deepEqual(parseCondition({ event: "E", op: "exactly", count: 0, withinDays: null, where: null }), {
      ok: true,
      value: { event: "E", op: "exactly", count: 0 },
    });
  });

  it("limits nesting depth, reporting where it was exceeded", () => {
    assert.equal(parseCondition(nested(10)).ok, true);
    const path = `rule${".not".repeat(10)}`;
    assert.deepEqual(problems(nested(11)), [{ path, code: "too_deep" }]);
    assert.deepEqual(problems(nested(4), { maxDepth: 3 }), [{ path: "rule.not.not.not", code: "too_deep" }]);
  });

  it("limits the number of conditions, counting where filters too", () => {
    const leaf = { attribute: "a", op: "exists" };
    assert.equal(parseCondition({ any: Array(199).fill(leaf) }).ok, true);
    assert.deepEqual(problems({ any: Array(500).fill(leaf) }), [
      { path: "rule.any[199]", code: "too_many_conditions" },
    ]);
    const filters = Array(3).fill({ property: "p", op: "exists" });
    assert.deepEqual(
      problems({ event: "E", op: "atLeast", count: 1, where: filters }, { maxConditions: 3 }),
      [{ path: "rule.where[2]", code: "too_many_conditions" }],
    );
  });

  it("refuses non-objects and uses the given root path", () => {
    for (const input of [null, undefined, 42, "rule", [], [{ all: [] }]]) {
      assert.deepEqual(problems(input), [{ path: "rule", code: "not_an_object" }]);
    }
    assert.deepEqual(problems({ not: 1 }, { path: "segment.rule" }), [
      { path: "segment.rule.not", code: "not_an_object" },
    ]);
  });

  it("does not read inherited fields of a crafted object", () => {
    const input = Object.create({ all: [] });
    assert.deepEqual(problems(input), [{ path: "rule", code: "unknown_condition" }]);
  });
});
