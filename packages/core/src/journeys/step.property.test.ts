/**
 * Properties of the interpreter over random definitions, memberships and input sequences.
 * `dag` builds well-formed definitions (edges only point forward); `anyGraph` also makes cycles
 * and references to missing nodes, which validation forbids but `step` must survive.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type JourneyDefinition,
  type JourneyNode,
  MESSAGE_CHANNELS,
  nodeAt,
  type Trigger,
} from "./definition";
import { type Enrollment, type EnrollmentFacts, type EnrollmentInput, newEnrollment } from "./enrollment";
import { type StepResult, step } from "./step";

const SEGMENTS = ["seg_a", "seg_b", "seg_c"];
const T0 = Date.UTC(2026, 2, 1);
const RUNS = { numRuns: 300 };

const id = (i: number) => `n${i}`;

const trigger: fc.Arbitrary<Trigger> = fc.oneof(
  fc.constant<Trigger>({ type: "segment", segmentId: "seg_entry" }),
  fc.constant<Trigger>({ type: "form", formId: "frm_1" }),
  fc.constant<Trigger>({ type: "event", event: "Signed Up" }),
);

function node(target: fc.Arbitrary<string | null>): fc.Arbitrary<JourneyNode> {
  return fc.oneof(
    fc.record({
      type: fc.constant("message" as const),
      channel: fc.constantFrom(...MESSAGE_CHANNELS),
      templateId: fc.constantFrom("tpl_1", "tpl_2"),
      next: target,
    }),
    fc.record({
      type: fc.constant("delay" as const),
      amount: fc.integer({ min: 1, max: 72 }),
      unit: fc.constantFrom("hours" as const, "days" as const),
      next: target,
    }),
    fc.record({
      type: fc.constant("split" as const),
      segmentId: fc.constantFrom(...SEGMENTS),
      true: target,
      false: target,
    }),
  );
}

function definition(nodes: JourneyNode[], t: Trigger): JourneyDefinition {
  return {
    schemaVersion: 1,
    trigger: t,
    start: id(0),
    nodes: Object.fromEntries(nodes.map((n, i) => [id(i), n])),
  };
}

/** Well-formed: node i only points to nodes after it, or ends. */
const dag: fc.Arbitrary<JourneyDefinition> = fc
  .integer({ min: 1, max: 12 })
  .chain((size) =>
    fc.tuple(
      fc.tuple(
        ...Array.from({ length: size }, (_, i) =>
          node(
            i + 1 < size
              ? fc.option(fc.integer({ min: i + 1, max: size - 1 }).map(id), { nil: null })
              : fc.constant(null),
          ),
        ),
      ),
      trigger,
    ),
  )
  .map(([nodes, t]) => definition(nodes, t));

/** Anything goes: back edges, self loops, and references to a node that does not exist. */
const anyGraph: fc.Arbitrary<JourneyDefinition> = fc
  .integer({ min: 1, max: 8 })
  .chain((size) => {
    const target = fc.option(fc.oneof(fc.integer({ min: 0, max: size - 1 }).map(id), fc.constant("gone")), {
      nil: null,
    });
    return fc.tuple(fc.array(node(target), { minLength: size, maxLength: size }), trigger);
  })
  .map(([nodes, t]) => definition(nodes, t));

const facts: fc.Arbitrary<EnrollmentFacts> = fc
  .subarray(SEGMENTS)
  .map((members) => ({ isMember: (segmentId: string) => members.includes(segmentId) }));

/** Inputs with the time that passes before each. */
const inputs = fc.array(
  fc.record({
    input: fc.constantFrom<EnrollmentInput>(
      { type: "enter" },
      { type: "wake" },
      { type: "wake" },
      { type: "wake" },
      { type: "left_segment" },
      { type: "archive" },
    ),
    // Often short, so wakes land just before and just after their time.
    after: fc.oneof(fc.integer({ min: 0, max: 2 * 3_600_000 }), fc.integer({ min: 0, max: 80 * 3_600_000 })),
  }),
  { maxLength: 25 },
);

const fresh = (enrollmentId = "enr_1") =>
  newEnrollment({ id: enrollmentId, journeyId: "jrn_1", version: 1, customerId: "cus_1", run: 1 });

/** The nodes a customer passes through, walked independently of `step` (DAGs only). */
function expectedPath(def: JourneyDefinition, f: EnrollmentFacts): string[] {
  const path: string[] = [];
  let current: string | null = def.start;
  while (current !== null) {
    const n: JourneyNode = nodeAt(def, current)!;
    path.push(current);
    current = n.type === "split" ? (f.isMember(n.segmentId) ? n.true : n.false) : n.next;
  }
  return path;
}

const sendsOf = (r: StepResult) => r.commands.flatMap((c) => (c.type === "send" ? [c] : []));

/** Enters, then wakes exactly when due, until it exits; checks invariants after each step. */
function runToEnd(def: JourneyDefinition, f: EnrollmentFacts) {
  let now = T0;
  let result = step(def, fresh(), { type: "enter" }, now, f);
  const results = [result];
  while (result.enrollment.state === "waiting") {
    now = result.enrollment.waitUntil!;
    result = step(def, result.enrollment, { type: "wake" }, now, f);
    results.push(result);
  }
  return results;
}

describe("step (properties)", () => {
  it("walks exactly the path the facts choose, sending each message on it once, and completes", () => {
    fc.assert(
      fc.property(dag, facts, (def, f) => {
        const results = runToEnd(def, f);
        const path = expectedPath(def, f);
        const final = results.at(-1)!.enrollment;
        assert.deepEqual(final.visited, path);
        assert.equal(final.exitReason, "completed");
        const sends = results.flatMap(sendsOf);
        const messagesOnPath = path.filter((n) => nodeAt(def, n)!.type === "message");
        assert.deepEqual(
          sends.map((s) => s.nodeId),
          messagesOnPath,
        );
        assert.equal(new Set(sends.map((s) => s.deliveryKey)).size, sends.length);
        // one step per delay on the path, plus the entry
        const delays = path.filter((n) => nodeAt(def, n)!.type === "delay").length;
        assert.equal(results.length, delays + 1);
      }),
      RUNS,
    );
  });

  it("survives any input sequence on any graph: waits or exits, runs each node once, never sends twice", () => {
    fc.assert(
      fc.property(anyGraph, facts, inputs, (def, f, sequence) => {
        let enrollment: Enrollment = fresh();
        let now = T0;
        const keys = new Set<string>();
        for (const { input, after } of sequence) {
          now += after;
          const before = structuredClone(enrollment);
          const result = step(def, enrollment, input, now, f);
          assert.deepEqual(step(def, enrollment, input, now, f), result, "step is deterministic");
          assert.deepEqual(enrollment, before, "step does not mutate its input");
          if (enrollment.state === "exited") assert.deepEqual(result.commands, []);
          if (input.type === "wake" && enrollment.state === "waiting" && now < enrollment.waitUntil!) {
            assert.deepEqual(result, {
              enrollment,
              commands: [{ type: "wake_at", at: enrollment.waitUntil }],
            });
          }
          enrollment = result.enrollment;
          if (enrollment.visited.length > 0) assert.notEqual(enrollment.state, "active");
          assert.equal(new Set(enrollment.visited).size, enrollment.visited.length);
          for (const send of sendsOf(result)) {
            assert.ok(!keys.has(send.deliveryKey), `second delivery ${send.deliveryKey}`);
            assert.ok(enrollment.visited.includes(send.nodeId));
            keys.add(send.deliveryKey);
          }
          const messagesVisited = enrollment.visited.filter((n) => nodeAt(def, n)?.type === "message").length;
          assert.equal(keys.size, messagesVisited);
          assert.equal(enrollment.state === "waiting", enrollment.waitUntil !== null);
        }
      }),
      RUNS,
    );
  });

  it("exits on left_segment at any point of a segment journey, and sends nothing after", () => {
    const segmentDag = dag.map(
      (d): JourneyDefinition => ({ ...d, trigger: { type: "segment", segmentId: "seg_entry" } }),
    );
    fc.assert(
      fc.property(segmentDag, facts, fc.nat(), inputs, (def, f, cut, after) => {
        const results = runToEnd(def, f);
        const at = cut % results.length;
        const current = results[at]!.enrollment;
        const left = step(def, current, { type: "left_segment" }, current.waitUntil ?? T0, f);
        if (current.state === "exited") {
          assert.deepEqual(left.commands, []);
          return;
        }
        assert.equal(left.enrollment.exitReason, "left_segment");
        assert.deepEqual(sendsOf(left), []);
        let enrollment = left.enrollment;
        let now = T0 + 365 * 86_400_000;
        for (const { input, after: dt } of after) {
          now += dt;
          const r = step(def, enrollment, input, now, f);
          assert.deepEqual(r.commands, []);
          enrollment = r.enrollment;
        }
      }),
      RUNS,
    );
  });

  it("sends nothing more when the same wake is delivered twice", () => {
    fc.assert(
      fc.property(dag, facts, (def, f) => {
        const results = runToEnd(def, f);
        for (let i = 1; i < results.length; i++) {
          const waiting = results[i - 1]!.enrollment;
          const now = waiting.waitUntil!;
          const first = step(def, waiting, { type: "wake" }, now, f);
          assert.deepEqual(first, results[i]);
          const replay = step(def, first.enrollment, { type: "wake" }, now, f);
          assert.deepEqual(sendsOf(replay), []);
        }
      }),
      RUNS,
    );
  });

  it("does nothing but re-emit the wake when woken at any time before it is due", () => {
    fc.assert(
      fc.property(dag, facts, fc.nat(), (def, f, seed) => {
        for (const { enrollment } of runToEnd(def, f)) {
          if (enrollment.state !== "waiting") continue;
          const due = enrollment.waitUntil!;
          for (const now of [due - 1, due - 1 - (seed % 3_600_000)]) {
            assert.deepEqual(step(def, enrollment, { type: "wake" }, now, f), {
              enrollment,
              commands: [{ type: "wake_at", at: due }],
            });
          }
        }
      }),
      RUNS,
    );
  });

  it("gives different enrollments different delivery keys for the same node", () => {
    fc.assert(
      fc.property(
        dag,
        facts,
        fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 2, maxLength: 5 }),
        (def, f, ids) => {
          const keys = ids.flatMap((enrollmentId) =>
            sendsOf(step(def, fresh(enrollmentId), { type: "enter" }, T0, f)).map((s) => s.deliveryKey),
          );
          assert.equal(new Set(keys).size, keys.length);
        },
      ),
      RUNS,
    );
  });
});
