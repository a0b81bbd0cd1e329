import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { SendFailure } from "../channels/provider";
import { DEFAULT_RETRY, type RetryPolicy, retryDelay } from "./backoff";

const RUNS = { numRuns: 300 };
const refused: SendFailure = { ok: false, kind: "retryable", message: "451 try again later" };
const retryAfter = (retryAfterMs: number): SendFailure => ({
  ok: false,
  kind: "retry_after",
  retryAfterMs,
  message: "429 slow down",
});
/** The largest value `Math.random` can return. */
const almostOne = () => 1 - 2 ** -53;
/** Uniform in [0, 1), as the dispatcher's injected `random` is. */
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const policy: fc.Arbitrary<RetryPolicy> = fc
  .record({
    baseMs: fc.integer({ min: 1, max: 120_000 }),
    capMs: fc.integer({ min: 1, max: 48 * 3_600_000 }),
  })
  .map((p) => ({ ...p, maxAttempts: 8 }));
const ceiling = (attempt: number, p: RetryPolicy) => Math.min(p.capMs, p.baseMs * 2 ** (attempt - 1));

describe("retryDelay", () => {
  it("doubles the ceiling with each attempt, from the base", () => {
    const top = [1, 2, 3, 4, 5].map((attempt) => retryDelay(attempt, refused, DEFAULT_RETRY, almostOne));
    assert.deepEqual(top, [29_999, 59_999, 119_999, 239_999, 479_999]);
    assert.equal(
      retryDelay(3, refused, DEFAULT_RETRY, () => 0.5),
      60_000,
      "the doc comment's example",
    );
    assert.equal(
      retryDelay(3, refused, DEFAULT_RETRY, () => 0),
      0,
      "full jitter reaches down to zero",
    );
  });

  it("jitters uniformly below the ceiling: a whole number of ms in [0, ceiling]", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), policy, unit, (attempt, p, r) => {
        const delay = retryDelay(attempt, refused, p, () => r);
        assert.ok(Number.isInteger(delay), `${delay} is not whole milliseconds`);
        assert.ok(delay >= 0 && delay <= ceiling(attempt, p), `${delay} outside [0, ${ceiling(attempt, p)}]`);
        assert.equal(delay, Math.floor(r * ceiling(attempt, p)), "linear in the random draw");
      }),
      RUNS,
    );
  });

  it("never exceeds the cap, however many attempts", () => {
    for (const attempt of [11, 12, 50, 1_100, Number.MAX_SAFE_INTEGER]) {
      const delay = retryDelay(attempt, refused, DEFAULT_RETRY, almostOne);
      assert.equal(delay, DEFAULT_RETRY.capMs - 1, `attempt ${attempt}`);
    }
  });

  it("waits at least the provider's Retry-After, and longer when the jitter says so", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        policy,
        unit,
        fc.integer({ min: 0, max: 7 * 86_400_000 }),
        (attempt, p, r, after) => {
          const jittered = retryDelay(attempt, refused, p, () => r);
          const delay = retryDelay(attempt, retryAfter(after), p, () => r);
          assert.equal(delay, Math.max(after, jittered));
        },
      ),
      RUNS,
    );
    // A Retry-After beyond the cap is still honoured: sooner would only be refused again.
    assert.equal(
      retryDelay(1, retryAfter(DEFAULT_RETRY.capMs * 4), DEFAULT_RETRY, almostOne),
      DEFAULT_RETRY.capMs * 4,
    );
    assert.equal(
      retryDelay(4, retryAfter(1_000), DEFAULT_RETRY, () => 0.5),
      120_000,
      "the jitter wins",
    );
  });

  it("falls back to the backoff when the provider's Retry-After is not a duration", () => {
    for (const after of [Number.NaN, Number.POSITIVE_INFINITY, -5_000]) {
      assert.equal(
        retryDelay(2, retryAfter(after), DEFAULT_RETRY, () => 0.5),
        30_000,
        `Retry-After ${after}`,
      );
    }
  });
});
