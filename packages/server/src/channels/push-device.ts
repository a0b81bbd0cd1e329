import type { SendFailure } from "./provider";

/**
 * What one device of a multi-device push send came to: accepted with the upstream's id, or
 * refused — `gone` when the upstream says the subscription or token no longer exists (404/410
 * from a push service, FCM's UNREGISTERED), so the dispatcher removes it from the customer.
 *
 * @example
 *   const outcome: DeviceOutcome = { ok: false, failure: { ok: false, kind: "permanent", message: "410 gone" }, gone: true };
 */
export type DeviceOutcome = { ok: true; id: string } | { ok: false; failure: SendFailure; gone: boolean };

/** Upstream text fit to show the tenant: one short line, never an HTML page. */
export function shortReason(text: string): string {
  const line = text.trim().split(/\r?\n/, 1)[0] ?? "";
  if (line.startsWith("<")) return "";
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** A refusal that never gets better by trying again. */
export const permanent = (message: string): DeviceOutcome => ({
  ok: false,
  failure: { ok: false, kind: "permanent", message },
  gone: false,
});
