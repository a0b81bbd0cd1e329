import type { Channel } from "@journeys/core";
import { sql } from "kysely";
import type { Resources } from "../resources";

/**
 * A business's send-rate limit on a channel (`settings.sendRates`, messages per second), kept
 * by the generic cell rate algorithm on one store row per business and channel: each send
 * moves the theoretical arrival time (TAT) on by one interval T = 1000 / rate ms, and a send is
 * allowed while the TAT is at most one second's burst ahead of now. One conditional upsert
 * decides and records it, so every worker process shares the limit. A refused send changes
 * nothing and is told when the next one is allowed.
 *
 * @example await takeSendSlot(r, "bus_…", "sms", 1, Date.now()) // null (go) or { until: 1733… }
 */
export async function takeSendSlot(
  r: Resources,
  businessId: string,
  channel: Channel,
  perSecond: number,
  now: number,
): Promise<{ until: number } | null> {
  // Whole milliseconds (the store keeps bigint): rates up to 1,000 per second.
  const interval = Math.max(1, Math.round(1000 / perSecond));
  // A second's worth of sends may go at once (at least one).
  const burst = (Math.max(1, Math.floor(perSecond)) - 1) * interval;
  const next = sql<number>`(case when send_rates.tat > ${now} then send_rates.tat else ${now} end) + ${interval}`;
  const taken = await r.store.db
    .insertInto("send_rates")
    .values({ business_id: businessId, channel, tat: now + interval })
    .onConflict((oc) =>
      oc
        .columns(["business_id", "channel"])
        .doUpdateSet({ tat: next })
        .where(sql<boolean>`send_rates.tat - ${now} <= ${burst}`),
    )
    .returning("tat")
    .executeTakeFirst();
  if (taken) return null;
  const row = await r.store.db
    .selectFrom("send_rates")
    .select("tat")
    .where("business_id", "=", businessId)
    .where("channel", "=", channel)
    .executeTakeFirst();
  return { until: Number(row?.tat ?? now) - burst };
}
