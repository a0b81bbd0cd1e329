import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkLimit, checkModule, PLAN_IDS, PLANS } from "./plans";

describe("plans", () => {
  it("matches the DESIGN §1 table for all five plans", () => {
    const table = PLAN_IDS.map((id) => [id, PLANS[id].limits]);
    assert.deepEqual(table, [
      ["starter", { journeys: 0, segments: 10, customers: 1_000, aiCreditsPerMonth: 50 }],
      ["lite", { journeys: 0, segments: 25, customers: 2_500, aiCreditsPerMonth: 150 }],
      ["growth", { journeys: 25, segments: 50, customers: 10_000, aiCreditsPerMonth: 400 }],
      ["business", { journeys: 75, segments: 150, customers: 50_000, aiCreditsPerMonth: 1_000 }],
      ["enterprise", { journeys: null, segments: null, customers: null, aiCreditsPerMonth: 3_000 }],
    ]);
  });

  it("refuses journeys on Starter and Lite with plan_required naming Growth", () => {
    for (const id of ["starter", "lite"] as const) {
      const verdict = checkLimit(id, "journeys", 0);
      assert.equal(verdict.ok, false);
      if (verdict.ok) return;
      assert.equal(verdict.problem.code, "plan_required");
      assert.equal(verdict.problem.upgradeTo, "growth");
      assert.match(verdict.problem.message, /Omnichannel/);
      assert.match(verdict.problem.message, /Growth/);
    }
  });

  it("allows up to the limit and refuses one more, naming the upgrade", () => {
    assert.deepEqual(checkLimit("growth", "journeys", 24), { ok: true });
    const over = checkLimit("growth", "journeys", 25);
    assert.equal(over.ok, false);
    if (over.ok) return;
    assert.equal(over.problem.code, "plan_limit_reached");
    assert.equal(over.problem.limit, 25);
    assert.equal(over.problem.upgradeTo, "business");
    assert.match(over.problem.message, /Growth plan allows 25 journeys/);

    const business = checkLimit("business", "journeys", 75);
    assert.equal(business.ok === false && business.problem.upgradeTo, "enterprise");
  });

  it("treats Enterprise as unlimited for journeys, segments and customers", () => {
    for (const what of ["journeys", "segments", "customers"] as const) {
      assert.deepEqual(checkLimit("enterprise", what, 10_000_000, 1_000), { ok: true });
    }
  });

  it("counts a bulk add against the limit, and picks the plan that fits it", () => {
    const verdict = checkLimit("starter", "customers", 900, 5_000);
    assert.equal(verdict.ok, false);
    if (verdict.ok) return;
    assert.equal(verdict.problem.upgradeTo, "growth");
    assert.equal(checkLimit("starter", "segments", 9).ok, true);
    assert.equal(checkLimit("lite", "segments", 25).ok, false);
  });

  it("has no upgrade above Enterprise for credits", () => {
    const verdict = checkLimit("enterprise", "aiCreditsPerMonth", 3_000);
    assert.equal(verdict.ok === false && verdict.problem.upgradeTo, null);
  });

  it("grants the omnichannel module from Growth up", () => {
    assert.deepEqual(
      PLAN_IDS.map((id) => checkModule(id, "omnichannel").ok),
      [false, false, true, true, true],
    );
  });
});
