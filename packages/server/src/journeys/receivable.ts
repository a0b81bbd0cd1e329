import { isSubscribed, type MessageChannel } from "@journeys/core";
import type { Customer } from "../customers/customer";

/**
 * Why a customer cannot receive a message on `channel`, or null when they can: no address for
 * the channel, or no marketing consent (a transactional template needs none). The dispatcher
 * decides sends by the same rules; activation's reach lint and simulation use this to predict.
 */
export function unreceivableReason(
  customer: Customer,
  channel: MessageChannel,
  options: { transactional: boolean; emailOptOut: boolean },
): string | null {
  const address =
    channel === "email"
      ? customer.email
      : channel === "sms" || channel === "whatsapp"
        ? customer.phone
        : channel === "telegram"
          ? (customer.addresses.telegram?.chatId ?? null)
          : customer.addresses.push?.length
            ? "push"
            : null;
  if (!address)
    return channel === "email"
      ? "no_email"
      : channel === "push"
        ? "no_push_subscription"
        : channel === "telegram"
          ? "no_telegram_chat"
          : "no_phone";
  if (!options.transactional && !isSubscribed(customer, channel, options.emailOptOut)) return "no_consent";
  return null;
}
