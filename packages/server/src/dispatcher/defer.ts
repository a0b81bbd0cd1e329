import { type Channel, capsAllowAt, isTimeZone, quietUntil } from "@journeys/core";
import type { Business } from "../accounts/businesses";
import type { Customer } from "../customers/customer";
import type { Resources } from "../resources";

/** Statuses of a message that went out (and so counts against a frequency cap). */
const WENT_OUT = ["sent", "delivered", "opened", "clicked", "bounced"];

export interface Deferral {
  until: number;
  reason: "quiet_hours" | "frequency_cap" | "send_rate";
  why: string;
}

/**
 * When a marketing message may go instead of now, or null when it may go now: not inside the
 * business's quiet hours in the customer's time zone (else the business's), and not over a
 * frequency cap of its channel. Both defer to the next allowed moment; nothing is dropped.
 * Transactional templates are never deferred.
 *
 * @example await deferral(r, business, customer, "sms", now) // { until, reason: "quiet_hours", why: "…" }
 */
export async function deferral(
  r: Resources,
  business: Business,
  customer: Customer,
  channel: Channel,
  now: number,
): Promise<Deferral | null> {
  const { quietHours, frequencyCaps, timezone } = business.settings;
  const zone = customer.timezone && isTimeZone(customer.timezone) ? customer.timezone : timezone;
  const quiet = (at: number) => (quietHours ? quietUntil(at, quietHours, zone) : at);
  let found: Deferral | null = null;
  const afterQuiet = quiet(now);
  if (afterQuiet > now) {
    found = {
      until: afterQuiet,
      reason: "quiet_hours",
      why: `quiet hours ${quietHours!.start}–${quietHours!.end} in ${zone}`,
    };
  }
  const caps = frequencyCaps.filter((c) => c.channel === "all" || c.channel === channel);
  if (caps.length > 0) {
    const windowMs = Math.max(...caps.map((c) => c.perHours)) * 3_600_000;
    const rows = await r.store.db
      .selectFrom("deliveries")
      .select(["channel", "sent_at"])
      .where("business_id", "=", business.id)
      .where("customer_id", "=", customer.id)
      .where("status", "in", WENT_OUT)
      .where("sent_at", ">", now - windowMs)
      .execute();
    const sent = rows.map((row) => ({ channel: row.channel as Channel, at: Number(row.sent_at) }));
    // From the end of the quiet hours: the answer must satisfy both. Caps only loosen as time
    // passes, so moving past quiet hours again keeps them satisfied.
    const capped = capsAllowAt(afterQuiet, caps, sent, channel);
    if (capped > afterQuiet) {
      const cap = caps.find((c) => capsAllowAt(afterQuiet, [c], sent, channel) === capped) ?? caps[0]!;
      const plural = cap.max === 1 ? "message" : "messages";
      const what = cap.channel === "all" ? plural : `${cap.channel} ${plural}`;
      found = {
        until: quiet(capped),
        reason: "frequency_cap",
        why: `at most ${cap.max} ${what} per ${cap.perHours} h`,
      };
    }
  }
  return found;
}
