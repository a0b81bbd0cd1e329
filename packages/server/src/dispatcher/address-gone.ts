import type { Channel } from "@journeys/core";
import type { PushSubscription } from "../customers/customer";
import { updateCustomerIfPresent } from "../customers/edit";
import { saveProfile, withProfileWrites } from "../customers/save-profile";
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
  if (channel !== "push") {
    await updateCustomerIfPresent(r, businessId, customerId, {
      subscriptions: { [channel]: "unsubscribed" },
    });
    return;
  }
  // Read and write in one profile transaction: a device added meanwhile is kept.
  await withProfileWrites(r, businessId, async (w, ctx) => {
    const customer = await w.customerById(customerId);
    if (!customer) return;
    const all = customer.addresses.push ?? [];
    const left = all.filter((s) => !isGone(s, gone));
    if (left.length < all.length) await saveProfile(w, ctx, customer, { addresses: { push: left } });
  });
}

function isGone(subscription: PushSubscription, gone: readonly string[]): boolean {
  return gone.includes(subscription.endpoint ?? "") || gone.includes(subscription.token ?? "");
}
