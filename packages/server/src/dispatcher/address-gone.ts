import type { Channel } from "@journeys/core";
import type { PushSubscription } from "../customers/customer";
import { updateCustomer } from "../customers/edit";
import { customerById } from "../customers/find";
import type { Resources } from "../resources";

/**
 * Acts on addresses a provider said no longer work (`SendResult.gone`): a push subscription is
 * removed from the customer (the other devices stay); a Telegram chat whose user blocked the
 * bot, or a phone the carrier reports as opted out, suppresses that channel — the subscription
 * becomes `unsubscribed`, so segments on `subscribed` update and no later message tries it.
 * A customer erased meanwhile is nothing to do.
 *
 * @example await forgetGoneAddresses(r, "bus_…", "cus_…", "push", ["https://push.example/abc"])
 */
export async function forgetGoneAddresses(
  r: Resources,
  businessId: string,
  customerId: string,
  channel: Channel,
  gone: readonly string[],
): Promise<void> {
  if (gone.length === 0) return;
  try {
    if (channel === "push") {
      const customer = await customerById(r, businessId, customerId);
      if (!customer) return;
      const left = (customer.addresses.push ?? []).filter((s) => !isGone(s, gone));
      if (left.length === (customer.addresses.push ?? []).length) return;
      await updateCustomer(r, businessId, customerId, { addresses: { push: left } });
    } else {
      await updateCustomer(r, businessId, customerId, { subscriptions: { [channel]: "unsubscribed" } });
    }
  } catch (error) {
    if ((error as { kind?: string }).kind !== "not_found") throw error;
  }
}

function isGone(subscription: PushSubscription, gone: readonly string[]): boolean {
  return gone.includes(subscription.endpoint ?? "") || gone.includes(subscription.token ?? "");
}
