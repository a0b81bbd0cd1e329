import type { Channel } from "@journeys/core";
import { customerById } from "../customers/find";
import { normaliseEmail, normalisePhone } from "../customers/profile";
import { JourneysError, notFound } from "../errors";
import type { Resources } from "../resources";
import type { OutgoingMessage, SendResult } from "./provider";
import { buildProvider } from "./providers";
import { findChannelSetup } from "./setup";

/**
 * "Send test" of a channel set-up (`POST …/channels/{channel}/test { "to" }`): one message
 * through the stored set-up, answered with what the provider said — the provider's message id,
 * or its refusal and whether it is worth trying again. `to` is an email address, an E.164
 * phone (SMS, WhatsApp), a Telegram chat id, or for push a customer id (the message goes to
 * that customer's subscriptions).
 *
 * @example await sendTest(r, "bus_…", "sms", "+4915112345678") // → { ok: true, providerMessageId: "SM…" }
 */
export async function sendTest(
  r: Resources,
  businessId: string,
  channel: Channel,
  to: string,
): Promise<SendResult> {
  const setup = await findChannelSetup(r, businessId, channel);
  if (!setup) throw notFound(`${channel} channel set-up`);
  const message = await testMessage(r, businessId, channel, to);
  const provider = buildProvider(r.outbound)(setup);
  if (!provider) throw notFound(`${setup.provider} provider`);
  try {
    return await provider.send(message as never, { idempotencyKey: r.newId("dlv") });
  } finally {
    await provider.close();
  }
}

const TEXT = "This is a test message from Journeys: the channel is set up.";

async function testMessage(
  r: Resources,
  businessId: string,
  channel: Channel,
  to: string,
): Promise<OutgoingMessage> {
  const bad = (message: string) =>
    new JourneysError("bad_request", "invalid_test_recipient", message, { field: "to" });
  switch (channel) {
    case "email": {
      const address = normaliseEmail(to);
      if (typeof address !== "string") throw bad(address.message);
      return {
        channel,
        to: address,
        subject: "Test from Journeys",
        html: `<p>${TEXT}</p>`,
        text: TEXT,
        headers: {},
      };
    }
    case "sms":
    case "whatsapp": {
      const phone = normalisePhone(to);
      if (typeof phone !== "string") throw bad(phone.message);
      return { channel, to: phone, body: TEXT };
    }
    case "telegram":
      if (!/^-?\d{1,20}$/.test(to)) throw bad("to must be a Telegram chat id (digits)");
      return { channel, to, body: TEXT };
    case "push": {
      const customer = /^cus_[A-Za-z0-9_]{1,60}$/.test(to) ? await customerById(r, businessId, to) : null;
      if (!customer) throw bad("to must be the id of a customer with a push subscription");
      const subscriptions = customer.addresses.push ?? [];
      if (subscriptions.length === 0) throw bad(`customer ${to} has no push subscription`);
      const first = subscriptions[0]!;
      return {
        channel,
        to: first.endpoint ?? first.token ?? "",
        subscriptions,
        title: "Test from Journeys",
        body: TEXT,
      };
    }
  }
}
