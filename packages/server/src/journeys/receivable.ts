import { isSubscribed, type MessageChannel } from "@journeys/core";
import { type Customer, factsOf } from "../customers/customer";
import { addressOf } from "../dispatcher/decide";

const NO_ADDRESS: Record<MessageChannel, string> = {
  email: "no_email",
  sms: "no_phone",
  whatsapp: "no_phone",
  telegram: "no_telegram_chat",
  push: "no_push_subscription",
};

/**
 * Why a customer cannot receive a message on `channel`, or null when they can — the
 * dispatcher's own address and consent rules (`dispatcher/decide.ts`), for predictions:
 * activation's reach lint and simulation.
 */
export function unreceivableReason(
  customer: Customer,
  channel: MessageChannel,
  options: { transactional: boolean; emailOptOut: boolean },
): string | null {
  if (!addressOf(customer, channel)) return NO_ADDRESS[channel];
  if (!options.transactional && !isSubscribed(factsOf(customer), channel, options.emailOptOut))
    return "no_consent";
  return null;
}
