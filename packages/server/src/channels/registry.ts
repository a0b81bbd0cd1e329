import type { Channel } from "@journeys/core";
import type { ProviderDefinition } from "./definition";
import { fcmDefinition, webPushDefinition } from "./push";
import { resendDefinition } from "./resend";
import { smtpDefinition } from "./smtp";
import { telegramDefinition } from "./telegram";
import { twilioDefinition } from "./twilio";
import { whatsappDefinition } from "./whatsapp";

/**
 * Every provider the server can send through, by channel. A channel with no provider here
 * cannot be set up yet (400 naming the channel). Later providers (Twilio SMS, WhatsApp Cloud,
 * Telegram, FCM / Web Push) add one line each.
 */
export const PROVIDERS: Record<Channel, ReadonlyArray<ProviderDefinition<never>>> = {
  email: [smtpDefinition as ProviderDefinition<never>, resendDefinition as ProviderDefinition<never>],
  sms: [twilioDefinition as ProviderDefinition<never>],
  whatsapp: [whatsappDefinition as ProviderDefinition<never>],
  telegram: [telegramDefinition as ProviderDefinition<never>],
  push: [webPushDefinition as ProviderDefinition<never>, fcmDefinition as ProviderDefinition<never>],
};

/** The definition of `provider` on `channel`, or undefined. */
export function providerDefinition(channel: Channel, provider: string): ProviderDefinition | undefined {
  return PROVIDERS[channel].find((d) => d.name === provider) as ProviderDefinition | undefined;
}
