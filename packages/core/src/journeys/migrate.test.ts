import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type MigrationSteps, migrateDefinition, type StoredDefinition } from "./migrate";

const v1 = {
  schemaVersion: 1,
  trigger: { type: "segment", segmentId: "seg_1" },
  start: "hello",
  nodes: {
    hello: { type: "message", channel: "email", templateId: "tpl_1", next: "pause" },
    pause: { type: "delay", amount: 36, unit: "hours", next: null },
  },
};

/** A made-up version 0 in which a delay only had `hours`. */
const v0 = {
  schemaVersion: 0,
  trigger: v1.trigger,
  start: "hello",
  nodes: { hello: v1.nodes.hello, pause: { type: "delay", hours: 36, next: null } },
};

const fakeSteps: MigrationSteps = {
  0: (doc) => {
    const nodes = (doc.nodes ?? {}) as Record<string, StoredDefinition>;
    const upgraded = Object.entries(nodes).map(([id, node]) => {
      if (node?.type !== "delay" || !("hours" in node)) return [id, node];
      const { hours, ...rest } = node;
      return [id, { ...rest, amount: hours, unit: "hours" }];
    });
    return { ...doc, nodes: Object.fromEntries(upgraded) };
  },
};

describe("migrateDefinition", () => {
  it("passes a current definition through unchanged", () => {
    assert.deepEqual(migrateDefinition(v1), { ok: true, value: v1 });
  });

  it("upgrades an older version step by step, ending at the current one", () => {
    assert.deepEqual(migrateDefinition(v0, fakeSteps), { ok: true, value: v1 });
  });

  it("refuses a version it has no step for, and one newer than it reads", () => {
    for (const schemaVersion of [0, 2, 1.5, "1"]) {
      const migrated = migrateDefinition({ ...v1, schemaVersion });
      assert.equal(migrated.ok, false);
      if (migrated.ok) return;
      assert.equal(migrated.error[0]?.code, "unsupported_schema_version");
    }
  });

  it("lets parsing judge what a step leaves behind", () => {
    const broken = { ...v0, nodes: { pause: { type: "delay", hours: "soon", next: null } } };
    const migrated = migrateDefinition(broken, fakeSteps);
    assert.equal(migrated.ok, false);
    if (migrated.ok) return;
    assert.deepEqual(
      migrated.error.map((p) => `${p.code} ${p.path}`),
      ["invalid_type $.nodes.pause.amount"],
    );
  });

  it("refuses what is not an object like parsing does", () => {
    assert.equal(migrateDefinition("nope").ok, false);
  });
});
