import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nodeAt } from "./definition";
import { parseDefinition } from "./parse";

/** The DESIGN §5 example, as the API receives it (journey fields around the definition). */
const designExample = {
  id: "jrn_1",
  name: "Welcome series",
  status: "draft",
  version: 1,
  trigger: { type: "segment", segmentId: "seg_new" },
  start: "welcome",
  nodes: {
    welcome: { type: "message", channel: "email", templateId: "tpl_hi", next: "wait" },
    wait: { type: "delay", amount: 1, unit: "days", next: "check" },
    check: { type: "split", segmentId: "seg_active", true: "nudge", false: null },
    nudge: { type: "message", channel: "sms", templateId: "tpl_nudge", next: null },
  },
};

function problemsOf(input: unknown) {
  const parsed = parseDefinition(input);
  assert.equal(parsed.ok, false, "expected the input to be refused");
  return parsed.ok ? [] : parsed.error.map(({ path, code }) => `${code} ${path}`);
}

describe("parseDefinition", () => {
  it("reads the DESIGN §5 example and keeps only definition fields", () => {
    const parsed = parseDefinition(designExample);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, {
      schemaVersion: 1,
      trigger: designExample.trigger,
      start: "welcome",
      nodes: designExample.nodes,
    });
  });

  it("reads every trigger type, and every where op with the value it needs", () => {
    const where = [
      { property: "plan", op: "eq", value: "pro" },
      { property: "seats", op: "gte", value: 5 },
      { property: "coupon", op: "exists" },
      { property: "country", op: "in", value: ["DE", "FR"] },
      { property: "email", op: "startsWith", value: "ops@" },
    ];
    for (const trigger of [
      { type: "form", formId: "frm_1" },
      { type: "event", event: "Signed Up" },
      { type: "event", event: "Signed Up", where },
    ]) {
      const parsed = parseDefinition({ ...designExample, trigger });
      assert.ok(parsed.ok, JSON.stringify(trigger));
      assert.deepEqual(parsed.value.trigger, trigger);
    }
  });

  it("refuses what is not an object", () => {
    assert.deepEqual(problemsOf(null), ["invalid_type $"]);
    assert.deepEqual(problemsOf([]), ["invalid_type $"]);
    assert.deepEqual(problemsOf("journey"), ["invalid_type $"]);
  });

  it("names every missing top-level field", () => {
    assert.deepEqual(problemsOf({}), ["required $.trigger", "required $.start", "required $.nodes"]);
  });

  it("reports every shape problem at once, each at its JSON path", () => {
    const broken = {
      schemaVersion: 1,
      trigger: {
        type: "event",
        event: "",
        where: [{ property: "plan", op: "like", value: "p" }, { op: "in" }],
      },
      start: "has space",
      nodes: {
        welcome: { type: "message", channel: "fax", templateId: 7, next: "bad id!" },
        wait: { type: "delay", amount: "1", unit: "weeks" },
        check: { type: "split", segmentId: "seg_1", true: "ok" },
        "a b": { type: "teleport" },
        empty: "nope",
      },
    };
    assert.deepEqual(problemsOf(broken), [
      "invalid_value $.trigger.event",
      "invalid_value $.trigger.where[0].op",
      "required $.trigger.where[1].property",
      "required $.trigger.where[1].value",
      "invalid_node_id $.start",
      "invalid_value $.nodes.welcome.channel",
      "invalid_type $.nodes.welcome.templateId",
      "invalid_node_id $.nodes.welcome.next",
      "invalid_type $.nodes.wait.amount",
      "invalid_value $.nodes.wait.unit",
      "required $.nodes.wait.next",
      "required $.nodes.check.false",
      'invalid_node_id $.nodes["a b"]',
      'invalid_value $.nodes["a b"].type',
      "invalid_type $.nodes.empty",
    ]);
  });

  it("checks each where value against its op", () => {
    const trigger = (op: string, value: unknown) => ({
      type: "event",
      event: "E",
      where: [{ property: "p", op, value }],
    });
    const path = "invalid_type $.trigger.where[0].value";
    assert.deepEqual(problemsOf({ ...designExample, trigger: trigger("in", "DE") }), [path]);
    assert.deepEqual(problemsOf({ ...designExample, trigger: trigger("startsWith", 3) }), [path]);
    assert.deepEqual(problemsOf({ ...designExample, trigger: trigger("gt", true) }), [path]);
    assert.deepEqual(problemsOf({ ...designExample, trigger: trigger("eq", { a: 1 }) }), [path]);
    assert.deepEqual(problemsOf({ ...designExample, trigger: { type: "event", event: "E", where: {} } }), [
      "invalid_type $.trigger.where",
    ]);
  });

  it("gives each problem a human message", () => {
    const parsed = parseDefinition({
      ...designExample,
      nodes: { w: { type: "delay", amount: 1, unit: "weeks", next: null } },
    });
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.equal(parsed.error[0]?.message, 'Expected one of "hours", "days", got "weeks".');
  });

  it("refuses a schema version it does not read", () => {
    assert.deepEqual(problemsOf({ ...designExample, schemaVersion: 2 }), [
      "unsupported_schema_version $.schemaVersion",
    ]);
  });

  it("leaves delay amounts that are numbers to activation, so drafts still save", () => {
    const draft = { ...designExample, nodes: { w: { type: "delay", amount: 0, unit: "hours", next: null } } };
    assert.equal(parseDefinition(draft).ok, true);
  });

  it("keeps ids such as __proto__ and constructor as ordinary nodes", () => {
    const input = JSON.parse(
      `{"trigger":{"type":"form","formId":"f"},"start":"__proto__","nodes":{"__proto__":
        {"type":"message","channel":"push","templateId":"t","next":"constructor"},
        "constructor":{"type":"delay","amount":1,"unit":"hours","next":null}}}`,
    );
    const parsed = parseDefinition(input);
    assert.ok(parsed.ok);
    assert.deepEqual(Object.keys(parsed.value.nodes), ["__proto__", "constructor"]);
    assert.equal(nodeAt(parsed.value, "__proto__")?.type, "message");
    assert.equal(nodeAt(parsed.value, "toString"), undefined);
    assert.equal(Object.getPrototypeOf(parsed.value.nodes), Object.prototype);
  });
});
