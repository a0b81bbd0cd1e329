import { createHmac, timingSafeEqual } from "node:crypto";
import type { SubscriptionStatus } from "@journeys/core";
import { updateCustomerIfPresent } from "../customers/edit";
import { customerByPhone } from "../customers/find";
import { normalisePhone } from "../customers/profile";
import { advanceDelivery, type TrackedStatus } from "../dispatcher/tracking";
import type { Resources } from "../resources";
import { keywordOf } from "./consent-keywords";
import type { WebhookAnswer, WebhookHandler, WebhookRequest } from "./webhooks";
import type { WhatsappConfig } from "./whatsapp";

/**
 * Meta's calls to `/webhooks/{businessId}/whatsapp`:
 * - GET, the subscription handshake: `hub.mode=subscribe` and `hub.verify_token` equal to the
 *   set-up's `verifyToken` → 200 with `hub.challenge` as plain text; anything else 403.
 * - POST, a batch of changes, verified first by `X-Hub-Signature-256: sha256=<hex HMAC-SHA256
 *   of the raw body under the app secret>` (403 and nothing read or changed otherwise). Each
 *   `messages` change of the set-up's phone number carries `statuses` of sent messages
 *   (delivered → delivered, read → opened, failed → failed with Meta's error code) and inbound
 *   `messages`, which open the 24-hour window (`addresses.whatsapp.lastInboundAt`) and, when
 *   the text is a consent keyword (consent-keywords.ts, the same words as SMS), unsubscribe or
 *   subscribe again.
 * Meta sends the same change again until it gets a 200, and in any order: every effect is
 * forward-only or idempotent, so a repeat changes nothing; a store failure answers 500 so that
 * Meta tries again.
 */

/** Meta's message statuses, as far as they move a delivery ("sent" is what the send said). */
const STATUS: Record<string, TrackedStatus> = { delivered: "delivered", read: "opened", failed: "failed" };

/**
 * The `X-Hub-Signature-256` value Meta sends with `rawBody`.
 *
 * @example whatsappSignature("0123…", '{"object":"whatsapp_business_account"}') // "sha256=5f…"
 */
export function whatsappSignature(appSecret: string, rawBody: string): string {
  return `sha256=${createHmac("sha256", appSecret).update(rawBody, "utf8").digest("hex")}`;
}

export const whatsappWebhook: WebhookHandler = {
  path: "whatsapp",
  channel: "whatsapp",
  provider: "whatsapp_cloud",
  async handle(r, { businessId, setup, request }) {
    const config = setup.config as unknown as WhatsappConfig;
    if (request.method === "GET") return handshake(config, request);
    const expected = whatsappSignature(config.appSecret, request.rawBody);
    if (!sameSecret(header(request, "x-hub-signature-256"), expected))
      return { status: 403, body: "signature does not match" };
    let body: WebhookBody;
    try {
      body = JSON.parse(request.rawBody) as WebhookBody;
    } catch {
      return { status: 400, body: "not JSON" };
    }
    if (body?.object !== "whatsapp_business_account" || !Array.isArray(body.entry)) return { status: 200 };
    for (const entry of body.entry) {
      for (const change of Array.isArray(entry?.changes) ? entry.changes : []) {
        const value = change?.value;
        if (change?.field !== "messages" || !value) continue;
        // One app's webhook carries every number of its accounts: only this set-up's number counts.
        const number = value.metadata?.phone_number_id;
        if (number !== undefined && String(number) !== config.phoneNumberId) continue;
        for (const status of Array.isArray(value.statuses) ? value.statuses : [])
          await track(r, businessId, status);
        for (const message of Array.isArray(value.messages) ? value.messages : [])
          await inbound(r, businessId, message);
      }
    }
    return { status: 200 };
  },
};

function handshake(config: WhatsappConfig, request: WebhookRequest): WebhookAnswer {
  const { "hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge } = request.query;
  if (mode !== "subscribe" || typeof challenge !== "string" || !sameSecret(token, config.verifyToken))
    return { status: 403, body: "verify token does not match" };
  return { status: 200, body: challenge, contentType: "text/plain; charset=utf-8" };
}

function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
}

/** Compares in constant time (for equal lengths; a length differs only for a wrong value). */
function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

interface WebhookBody {
  object?: unknown;
  entry?: Array<{ changes?: Array<{ field?: unknown; value?: ChangeValue }> }>;
}
interface ChangeValue {
  metadata?: { phone_number_id?: unknown };
  statuses?: StatusUpdate[];
  messages?: InboundMessage[];
}
interface StatusUpdate {
  id?: unknown;
  status?: unknown;
  errors?: Array<{ code?: unknown; title?: unknown; message?: unknown }>;
}
interface InboundMessage {
  from?: unknown;
  timestamp?: unknown;
  type?: unknown;
  text?: { body?: unknown };
}

async function track(r: Resources, businessId: string, status: StatusUpdate): Promise<void> {
  const tracked = typeof status?.status === "string" ? STATUS[status.status] : undefined;
  if (!tracked || typeof status.id !== "string") return;
  let detail: { code?: string; message: string } | undefined;
  if (tracked === "failed") {
    const error = Array.isArray(status.errors) ? status.errors[0] : undefined;
    const code =
      typeof error?.code === "number" || typeof error?.code === "string" ? String(error.code) : undefined;
    const title =
      typeof error?.title === "string"
        ? error.title
        : typeof error?.message === "string"
          ? error.message
          : "";
    detail = {
      ...(code ? { code } : {}),
      message: `WhatsApp reported the message failed${code ? ` (#${code})` : ""}${title ? ` ${title.slice(0, 200)}` : ""}`,
    };
  }
  await advanceDelivery(r, businessId, status.id, tracked, detail);
}

/**
 * An inbound message: the sender's window opens at the message's time (never later than now,
 * never earlier than a message already seen), and a keyword changes WhatsApp consent.
 */
async function inbound(r: Resources, businessId: string, message: InboundMessage): Promise<void> {
  if (typeof message?.from !== "string" || !/^\d{5,20}$/.test(message.from)) return;
  const normalised = normalisePhone(`+${message.from}`);
  const customer = await customerByPhone(
    r,
    businessId,
    typeof normalised === "string" ? normalised : `+${message.from}`,
  );
  if (!customer) return;
  const now = r.clock.now();
  const sentAt = Number(message.timestamp) * 1000;
  const at = Math.max(
    customer.addresses.whatsapp?.lastInboundAt ?? 0,
    Number.isFinite(sentAt) && sentAt > 0 ? Math.min(sentAt, now) : now,
  );
  const consent = keywordConsent(message);
  if (
    at === customer.addresses.whatsapp?.lastInboundAt &&
    (!consent || customer.subscriptions.whatsapp === consent)
  )
    return;
  // Erased between the lookup and the write: nothing to record.
  await updateCustomerIfPresent(r, businessId, customer.id, {
    addresses: { whatsapp: { lastInboundAt: at } },
    ...(consent ? { subscriptions: { whatsapp: consent } } : {}),
  });
}

/** The consent a text message asks for, or null when it is not a keyword. */
export function keywordConsent(message: Pick<InboundMessage, "type" | "text">): SubscriptionStatus | null {
  if (message.type !== "text" || typeof message.text?.body !== "string") return null;
  const keyword = keywordOf(message.text.body);
  return keyword === "stop" ? "unsubscribed" : keyword === "start" ? "subscribed" : null;
}
