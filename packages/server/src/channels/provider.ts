import type { Channel } from "@journeys/core";
import type { PushSubscription } from "../customers/customer";
import type { WhatsappTemplateRef } from "../templates/template";

/**
 * The channel-provider port: one interface for every channel and provider (SMTP, Twilio,
 * WhatsApp Cloud, Telegram, FCM, …), one file per provider, one contract suite
 * (`provider.contract.ts`) every provider runs.
 *
 * A provider never throws for a failed send: it answers with a `SendResult` whose `kind` says
 * what the dispatcher should do — `retryable` (try again later, with backoff), `retry_after`
 * (try again, not before `retryAfterMs`), `permanent` (this message will never go: give up).
 *
 * @example
 *   const result = await provider.send(
 *     { channel: "email", to: "ada@example.com", subject: "Hi", html: "<p>Hi</p>", text: "Hi", headers: {} },
 *     { idempotencyKey: "dlv_01…" },
 *   );
 *   if (result.ok) console.log(result.providerMessageId); // "<dlv_01…@shop.example>"
 */
export interface ChannelProvider<C extends Channel = Channel> {
  readonly channel: C;
  /** The provider's name as stored in the channel set-up ("smtp", "twilio", …). */
  readonly name: string;
  send(message: MessageFor<C>, options: SendOptions): Promise<SendResult>;
  /** Releases pooled connections; the provider is not used afterwards. */
  close(): Promise<void>;
}

export interface SendOptions {
  /**
   * Stable for every attempt of one delivery (the delivery id). Providers pass it where the
   * upstream dedupes (an idempotency header) or derive the message id from it (SMTP
   * Message-ID), so a retried send is recognisably the same message.
   */
  idempotencyKey: string;
  /**
   * Where the provider's callbacks for this business go: `{publicUrl}/webhooks/{businessId}`;
   * a provider appends its own path (Twilio's StatusCallback: `…/twilio`).
   */
  callbackBase?: string;
}

/**
 * `gone` lists addresses the provider learned no longer work — a push subscription the push
 * service answered 404/410 for, a Telegram chat whose user blocked the bot, a number that
 * replied STOP to the carrier: the dispatcher removes them from the customer (or suppresses the
 * channel) so no later message tries them again. A multi-device send can succeed and still
 * report some gone.
 */
export type SendResult = (
  | { ok: true; providerMessageId: string }
  | { ok: false; kind: "retryable" | "permanent"; message: string }
  | { ok: false; kind: "retry_after"; retryAfterMs: number; message: string }
) & { gone?: string[] };

export type SendFailure = Extract<SendResult, { ok: false }>;

export interface EmailMessage {
  channel: "email";
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post. */
  headers: Record<string, string>;
}
export interface TextMessage {
  channel: "sms" | "telegram";
  /** E.164 phone for SMS, chat id for Telegram. */
  to: string;
  body: string;
}
export interface WhatsappMessage {
  channel: "whatsapp";
  to: string;
  body?: string;
  whatsappTemplate?: WhatsappTemplateRef;
}
export interface PushMessage {
  channel: "push";
  /** The first subscription's endpoint or token, for logs. */
  to: string;
  /** Every push subscription of the customer: the provider sends to each device. */
  subscriptions: PushSubscription[];
  title: string;
  body: string;
  url?: string;
}

export type OutgoingMessage = EmailMessage | TextMessage | WhatsappMessage | PushMessage;
/** The message a provider of channel `C` sends (SMS and Telegram share `TextMessage`). */
export type MessageFor<C extends Channel> = MessageOf<OutgoingMessage, C>;
type MessageOf<M, C> = M extends { channel: infer K }
  ? C extends K
    ? Omit<M, "channel"> & { channel: C }
    : never
  : never;
