import { createHmac, timingSafeEqual } from "node:crypto";
import { updateCustomerIfPresent } from "../customers/edit";
import { advanceDelivery, type TrackedDelivery } from "../dispatcher/tracking";
import type { Resources } from "../resources";
import type { ResendConfig } from "./resend";
import type { WebhookHandler } from "./webhooks";

/**
 * Resend's events at `/webhooks/{businessId}/email/resend`, signed the Svix way: `svix-id`,
 * `svix-timestamp` and `svix-signature` ("v1,<base64 HMAC-SHA256>" entries, space-separated)
 * over `{id}.{timestamp}.{body}`, keyed with the base64 part of the set-up's `whsec_…` secret.
 * A timestamp more than five minutes off is refused too (a replayed capture).
 *
 * `email.delivered`, `email.opened`, `email.clicked` and `email.bounced` move the delivery
 * forward. A permanent bounce and a spam complaint also suppress email for the customer (the
 * subscription becomes `unsubscribed`): mailbox providers punish a sender who keeps mailing
 * either.
 */
export const TOLERANCE_MS = 5 * 60_000;

/** Svix's signature of one message: `v1,<base64>`. */
export function svixSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

function verified(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  now: number,
): boolean {
  const id = headers["svix-id"];
  const timestamp = headers["svix-timestamp"];
  const signatures = headers["svix-signature"];
  if (typeof id !== "string" || typeof timestamp !== "string" || typeof signatures !== "string") return false;
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now - Number(timestamp) * 1000) > TOLERANCE_MS) return false;
  const expected = Buffer.from(svixSignature(secret, id, timestamp, body));
  return signatures.split(" ").some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

interface ResendEvent {
  type?: unknown;
  data?: { email_id?: unknown; bounce?: { type?: unknown; message?: unknown } };
}

export const resendWebhook: WebhookHandler = {
  path: "email/resend",
  channel: "email",
  provider: "resend",
  async handle(r, { businessId, setup, request }) {
    const config = setup.config as unknown as ResendConfig;
    if (request.method !== "POST") return { status: 405, body: "POST only" };
    if (!config.webhookSecret) return { status: 403, body: "no webhook secret is set up for resend" };
    if (!verified(config.webhookSecret, request.headers, request.rawBody, r.clock.now()))
      return { status: 403, body: "signature does not match" };
    let event: ResendEvent;
    try {
      event = JSON.parse(request.rawBody) as ResendEvent;
    } catch {
      return { status: 400, body: "not JSON" };
    }
    const emailId = event.data?.email_id;
    if (typeof emailId !== "string") return { status: 204 };
    switch (event.type) {
      case "email.delivered":
        await advanceDelivery(r, businessId, emailId, "delivered");
        break;
      case "email.opened":
        await advanceDelivery(r, businessId, emailId, "opened");
        break;
      case "email.clicked":
        await advanceDelivery(r, businessId, emailId, "clicked");
        break;
      case "email.bounced": {
        const bounce = event.data?.bounce;
        const permanent = bounce?.type === "Permanent";
        const message = `${permanent ? "hard" : "soft"} bounce${typeof bounce?.message === "string" ? `: ${bounce.message.slice(0, 300)}` : ""}`;
        const delivery = await advanceDelivery(r, businessId, emailId, "bounced", { message });
        if (permanent) await suppress(r, businessId, delivery);
        break;
      }
      case "email.complained":
        await suppress(r, businessId, await advanceDelivery(r, businessId, emailId, "delivered"));
        break;
    }
    return { status: 204 };
  },
};

async function suppress(r: Resources, businessId: string, delivery: TrackedDelivery | null): Promise<void> {
  if (!delivery) return;
  await updateCustomerIfPresent(r, businessId, delivery.customerId, {
    subscriptions: { email: "unsubscribed" },
  });
}
