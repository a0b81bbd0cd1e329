import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { jsonShapeProblem } from "./shape";

const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { x: value };
  return value;
};

describe("jsonShapeProblem", () => {
  it("counts the value itself as a level and allows exactly maxDepth", () => {
    assert.equal(jsonShapeProblem(nested(3), { maxDepth: 3 }), null);
    assert.equal(jsonShapeProblem(1, { maxDepth: 0 }), null);
    assert.equal(jsonShapeProblem([[[]]], { maxDepth: 3 }), null);
    const problem = jsonShapeProblem(nested(4), { maxDepth: 3, path: "traits" });
    assert.deepEqual(problem, {
      code: "too_deep",
      path: "traits.x.x.x",
      limit: 3,
      message: "traits.x.x.x nests deeper than the limit of 3 levels",
    });
  });

  it("walks 200,000 levels without overflowing the stack, and shortens the path it names", () => {
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const problem = jsonShapeProblem(deep, { maxDepth: 32, path: "properties" });
    assert.equal(problem?.code, "too_deep");
    assert.equal(problem?.path, "properties[0][0][0][0][0][0][0][0][0][0][0][0]…(20 levels more)");
  });

  it("refuses NUL and unpaired surrogates in values and in keys, naming where", () => {
    assert.deepEqual(jsonShapeProblem({ a: ["ok", "b\u0000"] }, { maxDepth: 5 }), {
      code: "invalid_string",
      path: "a[1]",
      message: "a[1] contains the character U+0000 (NUL), which cannot be stored",
    });
    assert.equal(
      jsonShapeProblem({ "k\u0000": 1 }, { maxDepth: 5, path: "traits" })?.path,
      'traits["k\\u0000"]',
    );
    assert.equal(jsonShapeProblem({ a: "\ud800" }, { maxDepth: 5 })?.code, "invalid_string");
    assert.equal(jsonShapeProblem({ a: "x\udc00" }, { maxDepth: 5 })?.code, "invalid_string");
    assert.equal(jsonShapeProblem({ a: "😀 café \u0001" }, { maxDepth: 5 }), null);
    assert.equal(
      jsonShapeProblem("\u0000", { maxDepth: 5 })?.message,
      "the body contains the character U+0000 (NUL), which cannot be stored",
    );
  });

  it("agrees with a recursive definition on random values, odd text included", () => {
    const depthOf = (v: unknown): number =>
      typeof v === "object" && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;
    const badText = (v: unknown): boolean =>
      typeof v === "string"
        ? // biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is what the check must find
          /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(v)
        : typeof v === "object" && v !== null && Object.entries(v).some(([k, x]) => badText(k) || badText(x));
    const odd = fc.string({ unit: fc.constantFrom("a", "\u0000", "\ud800", "\udc00", "😀") });
    const values = fc.oneof(
      fc.jsonValue({ maxDepth: 8 }),
      fc.dictionary(odd, fc.oneof(odd, fc.jsonValue({ maxDepth: 3 }))),
    );
    fc.assert(
      fc.property(values, fc.integer({ min: 0, max: 9 }), (value, maxDepth) => {
        const problem = jsonShapeProblem(value, { maxDepth });
        assert.equal(problem !== null, depthOf(value) > maxDepth || badText(value));
        if (!badText(value) && problem) assert.equal(problem.code, "too_deep");
      }),
      { numRuns: 500 },
    );
  });
});
