import type { SendFailure } from "../channels/provider";

export interface RetryPolicy {
  /** Attempts before a delivery is given up as failed (default 8). */
  maxAttempts: number;
  /** The ceiling of the first retry's delay (default 30 s); it doubles per attempt. */
  baseMs: number;
  /** The largest ceiling (default 6 h). */
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseMs: 30_000, capMs: 6 * 3_600_000 };

/**
 * How long to wait before the next attempt: exponential backoff with full jitter
 * (uniform in [0, min(cap, base × 2^(attempt−1))]) so a provider outage is not followed by a
 * thundering herd, and never sooner than the provider's Retry-After. A Retry-After that is not
 * a finite duration (a header that did not parse) is ignored rather than stored as the retry time.
 *
 * @example retryDelay(3, { ok: false, kind: "retryable", message: "451" }, DEFAULT_RETRY, () => 0.5)
 *   // → 60_000 (half of 30 s × 2²)
 */
export function retryDelay(
  attempt: number,
  failure: SendFailure,
  policy: RetryPolicy,
  random: () => number,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  const after =
    failure.kind === "retry_after" && Number.isFinite(failure.retryAfterMs) ? failure.retryAfterMs : 0;
  return Math.max(after, jittered);
}
