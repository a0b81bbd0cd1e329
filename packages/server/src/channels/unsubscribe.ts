import { createHmac, timingSafeEqual } from "node:crypto";
import { type Channel, isChannel } from "@journeys/core";
import { updateCustomerIfPresent } from "../customers/edit";
import type { Resources } from "../resources";
import type { Store } from "../store/store";
import { installationSecret } from "./installation-secret";

/**
 * Unsubscribe links: `/u/{token}` where the token names business, customer and channel and is
 * signed with HMAC-SHA256 under the installation's `unsubscribe` secret (generated once,
 * stored, shared by every process). Links never expire: an old newsletter's link must work.
 *
 * Token: "<businessId>.<customerId>.<channel>.<base64url of the first 16 bytes of the HMAC>" —
 * ids are URL-safe already, and the whole token stays under the router's 100-character limit
 * for a path parameter.
 */
export interface UnsubscribeTarget {
  businessId: string;
  customerId: string;
  channel: Channel;
}

/** The installation's link-signing key for unsubscribe links. */
export function unsubscribeSecret(store: Store): Promise<Buffer> {
  return installationSecret(store, "unsubscribe");
}

const sign = (key: Buffer, payload: string) =>
  createHmac("sha256", key).update(payload).digest().subarray(0, 16);

/**
 * @example
 *   const token = await unsubscribeToken(store, { businessId: "bus_1", customerId: "cus_1", channel: "email" });
 *   `${publicUrl}/u/${token}`
 */
export async function unsubscribeToken(store: Store, target: UnsubscribeTarget): Promise<string> {
  const payload = `${target.businessId}.${target.customerId}.${target.channel}`;
  return `${payload}.${sign(await unsubscribeSecret(store), payload).toString("base64url")}`;
}

/** The target a token names, or null when it is malformed or not signed by this installation. */
export async function readUnsubscribeToken(store: Store, token: string): Promise<UnsubscribeTarget | null> {
  const parts = token.split(".");
  const [businessId, customerId, channel, signature] = parts;
  if (parts.length !== 4 || !businessId || !customerId || !isChannel(channel) || !signature) return null;
  const expected = sign(await unsubscribeSecret(store), `${businessId}.${customerId}.${channel}`);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return { businessId, customerId, channel };
}

/**
 * Sets the customer's subscription for the token's channel to `unsubscribed` (through the
 * profile writer, so segments that test `subscribed` update at once). Idempotent; false when
 * the customer no longer exists (erased), which the page treats as done too.
 */
export async function unsubscribe(r: Resources, target: UnsubscribeTarget): Promise<boolean> {
  return updateCustomerIfPresent(r, target.businessId, target.customerId, {
    subscriptions: { [target.channel]: "unsubscribed" },
  });
}
