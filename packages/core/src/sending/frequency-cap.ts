import type { Channel } from "../segments/condition";

/**
 * At most `max` marketing messages per customer on `channel` (or on all channels together)
 * in any rolling window of `perHours`. A message over the cap is deferred until the oldest
 * send in the window leaves it, never dropped.
 */
export interface FrequencyCap {
  channel: Channel | "all";
  max: number;
  perHours: number;
}

/** Why the cap is malformed, or null. */
export function frequencyCapProblem(cap: FrequencyCap): string | null {
  if (!Number.isInteger(cap.max) || cap.max < 1 || cap.max > 1_000)
    return "max must be a whole number from 1 to 1,000";
  if (!Number.isInteger(cap.perHours) || cap.perHours < 1 || cap.perHours > 24 * 90)
    return "perHours must be a whole number of hours from 1 to 2,160 (90 days)";
  return null;
}

/**
 * The first instant at or after `now` when one more message fits under every cap, given the
 * times of the customer's earlier sends (`sent`: channel and epoch ms, any order).
 *
 * @example
 *   capsAllowAt(now, [{ channel: "sms", max: 2, perHours: 24 }],
 *     [{ channel: "sms", at: now - 3_600_000 }, { channel: "sms", at: now - 7_200_000 }], "sms")
 *   // → now - 7_200_000 + 24 h: when the older of the two leaves the window
 */
export function capsAllowAt(
  now: number,
  caps: readonly FrequencyCap[],
  sent: ReadonlyArray<{ channel: Channel; at: number }>,
  channel: Channel,
): number {
  let allowed = now;
  for (const cap of caps) {
    if (cap.channel !== "all" && cap.channel !== channel) continue;
    const window = cap.perHours * 3_600_000;
    const inWindow = sent
      .filter(
        (s) => (cap.channel === "all" || s.channel === cap.channel) && s.at > now - window && s.at <= now,
      )
      .map((s) => s.at)
      .sort((a, b) => a - b);
    if (inWindow.length < cap.max) continue;
    // Room for one more once all but max - 1 of them have left the window.
    const leaving = inWindow[inWindow.length - cap.max]!;
    allowed = Math.max(allowed, leaving + window);
  }
  return allowed;
}
