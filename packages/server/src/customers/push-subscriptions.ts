import { ECDH } from "node:crypto";
import { JourneysError } from "../errors";
import type { Resources } from "../resources";
import type { PushSubscription } from "./customer";
import { LIMITS } from "./profile";
import { saveProfile, withProfileWrites } from "./save-profile";

/**
 * A customer's push devices (DESIGN §5 Addresses): `POST /v1/push/subscriptions` with
 * `{ userId, subscription: <PushSubscription JSON> }` from a browser or `{ userId, fcmToken }`
 * from an app. A subscription is known by its endpoint (or token): the same one again replaces
 * the stored one and counts as the newest. A customer keeps the newest 20; the oldest is dropped
 * (a browser that re-subscribes gets a new endpoint, and the old one would only answer 410).
 * Subscribing in the browser is the customer's consent: push becomes `subscribed`.
 *
 * @example
 *   const sub = readPushSubscription({ userId: "u1", fcmToken: "dX4k…:APA91b…" });
 *   await savePushSubscription(r, "bus_…", "u1", sub);
 */
export const MAX_PUSH_SUBSCRIPTIONS = 20;

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const PRINTABLE = /^[\x21-\x7e]+$/;

const invalid = (field: string, message: string) =>
  new JourneysError("bad_request", "invalid_push_subscription", `${field} ${message}`, { field });

/** The userId of a subscription call; 400 `invalid_user_id` when there is none. */
export function readUserId(value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > LIMITS.idLength)
    throw new JourneysError(
      "bad_request",
      "invalid_user_id",
      `userId must be a string of 1–${LIMITS.idLength} characters`,
      { field: "userId" },
    );
  return value;
}

/**
 * The device of a subscription call, checked: a browser subscription (an https endpoint — http
 * too with `allowHttp`, when the operator allows private networks — of at
 * most 2,048 characters, `keys.p256dh` a P-256 public point, `keys.auth` 16 bytes, both
 * base64url) or an FCM token (printable, at most 4,096 characters). Anything else is 400
 * `invalid_push_subscription` naming the field.
 */
export function readPushSubscription(
  body: { subscription?: unknown; fcmToken?: unknown },
  options: { allowHttp?: boolean } = {},
): PushSubscription {
  const { subscription, fcmToken } = body;
  if ((subscription === undefined) === (fcmToken === undefined))
    throw invalid("subscription", "or fcmToken is required (one of them)");
  if (fcmToken !== undefined) {
    if (typeof fcmToken !== "string" || fcmToken.length > 4096 || !PRINTABLE.test(fcmToken))
      throw invalid("fcmToken", "must be an FCM registration token (at most 4096 printable characters)");
    return { kind: "fcm", token: fcmToken };
  }
  if (typeof subscription !== "object" || subscription === null || Array.isArray(subscription))
    throw invalid("subscription", "must be the browser's PushSubscription as JSON");
  const { endpoint, keys } = subscription as {
    endpoint?: unknown;
    keys?: { p256dh?: unknown; auth?: unknown };
  };
  if (typeof endpoint !== "string" || endpoint.length > 2048 || !URL.canParse(endpoint))
    throw invalid("subscription.endpoint", "must be a URL of at most 2048 characters");
  const url = new URL(endpoint);
  // Browsers' push services are https; plain http only where the operator allows private
  // networks (JOURNEYS_ALLOW_PRIVATE_NETWORK: tests, a push service on the operator's own network).
  const scheme = url.protocol === "https:" || (options.allowHttp === true && url.protocol === "http:");
  if (!scheme || url.username || url.password)
    throw invalid("subscription.endpoint", "must be an https URL without credentials");
  const p256dh = decoded(keys?.p256dh);
  if (!p256dh || !isP256Point(p256dh))
    throw invalid(
      "subscription.keys.p256dh",
      "must be the subscription's P-256 public key (65 bytes, base64url)",
    );
  const auth = decoded(keys?.auth);
  if (auth?.length !== 16)
    throw invalid("subscription.keys.auth", "must be the subscription's auth secret (16 bytes, base64url)");
  return {
    kind: "webpush",
    endpoint,
    keys: { p256dh: p256dh.toString("base64url"), auth: auth.toString("base64url") },
  };
}

function decoded(value: unknown): Buffer | null {
  return typeof value === "string" && value.length <= 200 && BASE64URL.test(value)
    ? Buffer.from(value, "base64url")
    : null;
}

function isP256Point(bytes: Buffer): boolean {
  if (bytes.length !== 65 || bytes[0] !== 4) return false;
  try {
    ECDH.convertKey(bytes, "prime256v1");
    return true;
  } catch {
    return false;
  }
}

/** What identifies a device: its endpoint, or its FCM token. */
export const deviceOf = (s: PushSubscription): string => (s.kind === "fcm" ? s.token : s.endpoint) ?? "";

/**
 * Adds the device to the customer with this userId (created when there is none), replacing the
 * same endpoint or token, and marks push `subscribed`.
 */
export async function savePushSubscription(
  r: Resources,
  businessId: string,
  userId: string,
  subscription: PushSubscription,
): Promise<void> {
  await withProfileWrites(r, businessId, async (w, ctx) => {
    const existing = await w.customerByUserId(userId);
    const others = (existing?.addresses.push ?? []).filter((s) => deviceOf(s) !== deviceOf(subscription));
    const push = [...others, subscription].slice(-MAX_PUSH_SUBSCRIPTIONS);
    await saveProfile(w, ctx, existing, {
      ...(existing ? {} : { userId }),
      addresses: { push },
      subscriptions: { push: "subscribed" },
    });
  });
}

/**
 * The device an unsubscribe names: `subscription.endpoint` (the keys may be left out) or
 * `fcmToken`; 400 `invalid_push_subscription` otherwise.
 */
export function readDevice(body: { subscription?: unknown; fcmToken?: unknown }): string {
  const endpoint = (body.subscription as { endpoint?: unknown } | null | undefined)?.endpoint;
  if (typeof body.fcmToken === "string" && body.subscription === undefined) return body.fcmToken;
  if (typeof endpoint === "string" && body.fcmToken === undefined) return endpoint;
  throw invalid("subscription", "with its endpoint, or fcmToken, names the device to remove (one of them)");
}

/**
 * Removes the device from the customer with this userId (the browser unsubscribed); the push
 * consent stays as it is. False when there was nothing to remove.
 */
export async function removePushSubscription(
  r: Resources,
  businessId: string,
  userId: string,
  device: string,
): Promise<boolean> {
  return withProfileWrites(r, businessId, async (w, ctx) => {
    const existing = await w.customerByUserId(userId);
    const current = existing?.addresses.push ?? [];
    const push = current.filter((s) => deviceOf(s) !== device);
    if (!existing || push.length === current.length) return false;
    await saveProfile(w, ctx, existing, { addresses: { push } });
    return true;
  });
}
