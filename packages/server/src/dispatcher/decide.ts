import { type Channel, isSubscribed } from "@journeys/core";
import type { Business } from "../accounts/businesses";
import { type Customer, factsOf } from "../customers/customer";
import type { Template } from "../templates/template";
import type { SkipReason } from "./delivery";
import { whatsappContentFor, whatsappWindowOpen } from "./whatsapp-window";

/** Everything a send decision reads, loaded by the dispatcher. */
export interface SendFacts {
  channel: Channel;
  customer: Customer | null;
  template: Template | null;
  business: Business;
  /** A channel set-up with a provider this server has. */
  channelReady: boolean;
  journeyArchived: boolean;
  /** The clock's now: WhatsApp's 24-hour window is read against it. */
  now: number;
}

export type SendDecision =
  | { send: true; customer: Customer; template: Template; to: string }
  | { send: false; reason: SkipReason; why: string };

const NO_ADDRESS: Record<Channel, [SkipReason, string]> = {
  email: ["no_email", "the customer has no email address"],
  sms: ["no_phone", "the customer has no phone number"],
  whatsapp: ["no_phone", "the customer has no phone number"],
  telegram: ["no_telegram_chat", "the customer has no Telegram chat"],
  push: ["no_push_subscription", "the customer has no push subscription"],
};

/** The customer's address on `channel`, or null. */
export function addressOf(customer: Customer, channel: Channel): string | null {
  switch (channel) {
    case "email":
      return customer.email;
    case "sms":
    case "whatsapp":
      return customer.phone;
    case "telegram":
      return customer.addresses.telegram?.chatId ?? null;
    case "push": {
      // The first subscription names the message in logs; the provider sends to every one.
      const first = customer.addresses.push?.[0];
      return (first?.token ?? first?.endpoint) || null;
    }
  }
}

/**
 * May this message go, and to which address? Skips, in this order: the journey was archived,
 * the customer or template is gone, no address on the channel, no marketing consent (a
 * transactional template needs none; email `unknown` counts only when the business runs email
 * as opt-out), the channel is not set up, WhatsApp free text outside the 24-hour window. A
 * WhatsApp template that holds both free text and an approved template comes back narrowed to
 * the one the window allows (`whatsapp-window.ts`).
 *
 * @example decide({ channel: "email", customer, template, business, channelReady: true, journeyArchived: false, now })
 *   // → { send: false, reason: "no_consent", why: "the customer is not subscribed to email" }
 */
export function decide(f: SendFacts): SendDecision {
  if (f.journeyArchived) return { send: false, reason: "journey_archived", why: "the journey was archived" };
  if (!f.customer) return { send: false, reason: "customer_missing", why: "the customer no longer exists" };
  if (!f.template || f.template.channel !== f.channel) {
    return {
      send: false,
      reason: "template_missing",
      why: `no ${f.channel} template with that id exists any more`,
    };
  }
  const to = addressOf(f.customer, f.channel);
  if (!to) {
    const [reason, why] = NO_ADDRESS[f.channel];
    return { send: false, reason, why };
  }
  if (
    !f.template.transactional &&
    !isSubscribed(factsOf(f.customer), f.channel, f.business.settings.emailOptOut)
  ) {
    const status = f.customer.subscriptions[f.channel] ?? "unknown";
    return {
      send: false,
      reason: "no_consent",
      why: `the customer is not subscribed to ${f.channel} (status ${status}; marketing needs consent)`,
    };
  }
  if (!f.channelReady) {
    return { send: false, reason: "channel_not_configured", why: `the ${f.channel} channel is not set up` };
  }
  if (f.template.channel === "whatsapp") {
    const template = whatsappContentFor(f.template, whatsappWindowOpen(f.customer, f.now));
    if (!template)
      return {
        send: false,
        reason: "outside_whatsapp_window",
        why: "free-form WhatsApp text is allowed only within 24 hours of the customer's last message; give the template an approved whatsappTemplate",
      };
    return { send: true, customer: f.customer, template, to };
  }
  return { send: true, customer: f.customer, template: f.template, to };
}
