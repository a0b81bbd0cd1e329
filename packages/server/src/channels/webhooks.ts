import type { Channel } from "@journeys/core";
import type { Resources } from "../resources";
import { resendWebhook } from "./resend-webhook";
import type { ChannelSetup } from "./setup";
import { telegramWebhook } from "./telegram-webhook";
import { twilioWebhook } from "./twilio-webhook";
import { whatsappWebhook } from "./whatsapp-webhook";

/**
 * A provider's callback as the webhook route received it: the body unparsed (signatures are
 * over the exact bytes), and the URL the provider called as the public internet sees it
 * (`JOURNEYS_PUBLIC_URL` + path + query — Twilio signs that URL).
 */
export interface WebhookRequest {
  method: "GET" | "POST";
  /** e.g. `https://journeys.example.com/webhooks/bus_…/twilio?x=1` */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
  rawBody: string;
}

export interface WebhookAnswer {
  status: number;
  /** A string is sent as is (with `contentType`, default text/plain); an object as JSON. */
  body?: string | Record<string, unknown>;
  contentType?: string;
}

/**
 * One provider's callbacks (`/webhooks/{businessId}/{path}`): each verifies the request by the
 * provider's own scheme against the business's set-up before reading it — an unverified call
 * answers 403 and changes nothing. Handlers live beside their provider (`twilio-webhook.ts`, …)
 * and add one line to `WEBHOOKS`.
 */
export interface WebhookHandler {
  /** The path after the business id: "twilio", "whatsapp", "telegram", "email/postmark". */
  path: string;
  channel: Channel;
  /** The provider the channel must be set up with (`channels.provider`). */
  provider: string;
  handle(
    r: Resources,
    call: { businessId: string; setup: ChannelSetup; request: WebhookRequest; publicUrl: string },
  ): Promise<WebhookAnswer>;
}

/** Every provider callback the server answers, by path. */
export const WEBHOOKS: WebhookHandler[] = [resendWebhook, twilioWebhook, whatsappWebhook, telegramWebhook];

export function webhookHandler(path: string): WebhookHandler | undefined {
  return WEBHOOKS.find((h) => h.path === path);
}
