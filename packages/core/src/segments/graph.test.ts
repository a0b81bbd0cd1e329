import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Condition, Segment } from "./condition";
import { affectedSegments, indexSegments, orderSegments, type SegmentIndex } from "./graph";

const seg = (id: string, rule: Condition | null): Segment => ({ id, name: id, rule });
const uses = (...ids: string[]): Condition => ({ all: ids.map((id) => ({ inSegment: id })) });

function index(segments: Segment[]): SegmentIndex {
  const built = indexSegments(segments);
  assert.ok(built.ok, JSON.stringify(built));
  return built.value;
}

describe("orderSegments", () => {
  it("puts every segment after the segments it uses, otherwise keeping the given order", () => {
    const segments = [
      seg("seg_c", uses("seg_b")),
      seg("seg_a", { attribute: "plan", op: "eq", value: "pro" }),
      seg("seg_b", { any: [{ inSegment: "seg_a" }, { not: { inSegment: "seg_manual" } }] }),
      seg("seg_manual", null),
      seg("seg_d", null),
    ];
    assert.deepEqual(orderSegments(segments), {
      ok: true,
      value: ["seg_a", "seg_manual", "seg_b", "seg_c", "seg_d"],
    });
  });

  it("refuses cycles, naming the loop", () => {
    const result = orderSegments([
      seg("seg_a", uses("seg_b")),
      seg("seg_b", { not: uses("seg_c") }),
      seg("seg_c", uses("seg_a")),
      seg("seg_self", uses("seg_self")),
      seg("seg_ok", null),
    ]);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.error.map((p) => [p.code, p.segmentId, "cycle" in p ? p.cycle : null]),
      [
        ["segment_cycle", "seg_c", ["seg_a", "seg_b", "seg_c", "seg_a"]],
        ["segment_cycle", "seg_self", ["seg_self", "seg_self"]],
      ],
    );
    assert.match(result.error[0]?.message ?? "", /seg_a → seg_b → seg_c → seg_a/);
  });

  it("refuses references to segments that do not exist, and duplicate ids", () => {
    const result = orderSegments([seg("seg_a", uses("seg_gone")), seg("seg_b", null), seg("seg_b", null)]);
    assert.deepEqual(
      result.ok ? [] : result.error.map((p) => [p.code, p.segmentId, "reference" in p ? p.reference : null]),
      [
        ["duplicate_segment", "seg_b", null],
        ["unknown_segment", "seg_a", "seg_gone"],
      ],
    );
  });

  it("handles long chains without recursion", () => {
    const chain = Array.from({ length: 20_000 }, (_, i) =>
      seg(`seg_${i}`, i === 0 ? null : uses(`seg_${i - 1}`)),
    );
    const result = orderSegments(chain.slice().reverse());
    assert.ok(result.ok);
    assert.deepEqual(
      result.value,
      chain.map((s) => s.id),
    );
  });
});

describe("affectedSegments", () => {
  const segments = [
    seg("seg_vip_buyers", uses("seg_buyers", "seg_vip")),
    seg("seg_buyers", { event: "Purchased", op: "atLeast", count: 1, withinDays: 30 }),
    seg("seg_vip", { attribute: "tier", op: "eq", value: "vip" }),
    seg("seg_emailable", { all: [{ subscribed: "email" }, { attribute: "email", op: "exists" }] }),
    seg("seg_birthday", { attribute: "birthday", op: "anniversaryToday" }),
    seg("seg_not_blocked", { not: { inSegment: "seg_blocklist" } }),
    seg("seg_blocklist", null),
    seg("seg_reachable_vips", uses("seg_vip_buyers", "seg_emailable")),
  ];
  const idx = index(segments);

  it("finds direct readers of attributes, events and subscriptions", () => {
    assert.deepEqual(affectedSegments(idx, { attributes: ["email"] }), [
      "seg_emailable",
      "seg_reachable_vips",
    ]);
    assert.deepEqual(affectedSegments(idx, { subscriptions: ["sms"] }), []);
    assert.deepEqual(affectedSegments(idx, { attributes: ["unrelated"], events: ["Viewed"] }), []);
    assert.deepEqual(affectedSegments(idx, { attributes: ["timezone"] }), ["seg_birthday"]);
  });

  it("includes transitive dependents through inSegment, each after what it uses", () => {
    assert.deepEqual(affectedSegments(idx, { events: ["Purchased"] }), [
      "seg_buyers",
      "seg_vip_buyers",
      "seg_reachable_vips",
    ]);
    const all = affectedSegments(idx, { attributes: ["tier", "email"], subscriptions: ["email"] });
    assert.deepEqual(all, ["seg_vip", "seg_vip_buyers", "seg_emailable", "seg_reachable_vips"]);
  });

  it("cascades a manual list's membership change without re-evaluating the list", () => {
    assert.deepEqual(affectedSegments(idx, { segments: ["seg_blocklist"] }), ["seg_not_blocked"]);
    assert.deepEqual(affectedSegments(idx, { segments: ["seg_vip"] }), [
      "seg_vip_buyers",
      "seg_reachable_vips",
    ]);
  });

  it("lists time-relative segments for the periodic sweep", () => {
    assert.deepEqual(idx.timeRelative, ["seg_buyers", "seg_birthday"]);
    assert.deepEqual(affectedSegments(idx, { time: true }), [
      "seg_buyers",
      "seg_vip_buyers",
      "seg_birthday",
      "seg_reachable_vips",
    ]);
  });

  it("indexes event counters by event name for the write path", () => {
    assert.deepEqual([...idx.counters.keys()], ["Purchased"]);
    assert.deepEqual([...(idx.counters.get("Purchased")?.keys() ?? [])], ['["Purchased",[]]']);
  });

  it("equals a brute-force transitive closure, in evaluation order, on random segment graphs", () => {
    const attributes = ["a", "b", "c", "d"];
    const graph = fc
      .array(
        fc.record({
          attrs: fc.subarray(attributes),
          refs: fc.array(fc.nat(), { maxLength: 3 }),
          manual: fc.boolean(),
        }),
        {
          minLength: 1,
          maxLength: 25,
        },
      )
      .map((nodes) =>
        nodes.map((node, i) => {
          // Referencing only earlier segments keeps the graph acyclic.
          const refs = i === 0 ? [] : node.refs.map((r) => `seg_${r % i}`);
          const leaves: Condition[] = node.attrs.map((attribute) => ({ attribute, op: "exists" }));
          const rule: Condition = { any: [...leaves, ...refs.map((id) => ({ inSegment: id }))] };
          return seg(`seg_${i}`, node.manual && refs.length === 0 ? null : rule);
        }),
      )
      // The index must not rely on segments arriving in dependency order.
      .chain((segments) =>
        fc
          .shuffledSubarray(segments, { minLength: segments.length, maxLength: segments.length })
          .map((shuffled) => ({ segments, shuffled })),
      );
    fc.assert(
      fc.property(
        graph,
        fc.subarray(attributes),
        fc.array(fc.nat()),
        ({ segments, shuffled }, changed, changedSegs) => {
          const idx = index(shuffled);
          const changedIds = changedSegs.map((n) => `seg_${n % segments.length}`);
          const result = affectedSegments(idx, { attributes: changed, segments: changedIds });

          const rules = new Map(segments.map((s) => [s.id, s.rule]));
          const reads = (id: string, what: (c: Condition) => boolean) => {
            const rule = rules.get(id);
            return rule !== null && rule !== undefined && "any" in rule && rule.any.some(what);
          };
          const expected = new Set(
            segments
              .filter((s) => reads(s.id, (c) => "attribute" in c && changed.includes(c.attribute)))
              .map((s) => s.id),
          );
          const frontier = [...expected, ...changedIds];
          while (frontier.length > 0) {
            const from = frontier.pop()!;
            for (const s of segments) {
              if (!expected.has(s.id) && reads(s.id, (c) => "inSegment" in c && c.inSegment === from)) {
                expected.add(s.id);
                frontier.push(s.id);
              }
            }
          }
          assert.deepEqual(new Set(result), expected);
          assert.equal(result.length, expected.size, "no duplicates");
          const position = new Map(idx.order.map((id, i) => [id, i]));
          for (const id of result) {
            for (const c of (rules.get(id) as { any: Condition[] }).any) {
              if ("inSegment" in c && result.includes(c.inSegment)) {
                assert.ok(position.get(c.inSegment)! < position.get(id)!, `${c.inSegment} before ${id}`);
                assert.ok(result.indexOf(c.inSegment) < result.indexOf(id));
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
