import { createHmac, timingSafeEqual } from "node:crypto";
import { getBusiness } from "../accounts/businesses";
import { updateCustomerIfPresent } from "../customers/edit";
import { customerByPhone } from "../customers/find";
import { advanceDelivery, type TrackedStatus } from "../dispatcher/tracking";
import type { Resources } from "../resources";
import { keywordOf } from "./consent-keywords";
import type { TwilioConfig } from "./twilio";
import type { WebhookAnswer, WebhookHandler } from "./webhooks";

/**
 * Twilio's calls to `/webhooks/{businessId}/twilio`: status callbacks of sent messages
 * (`MessageStatus`) and inbound SMS (`Body`). Every call is verified first by its
 * `X-Twilio-Signature` (HMAC-SHA1 under the account's auth token over the URL Twilio called and
 * the form parameters sorted by name); an unsigned or foreign call answers 403.
 *
 * Inbound consent keywords (consent-keywords.ts) unsubscribe or subscribe the customer with that
 * number on SMS; HELP gets the set-up's `helpReply` back as TwiML. Other messages are answered
 * with an empty `<Response/>`.
 */
/**
 * Twilio's request signature: base64 HMAC-SHA1 of the full URL followed by each POST parameter's
 * name and value, sorted by name.
 *
 * @example twilioSignature("token", "https://x.test/webhooks/bus_1/twilio", { MessageSid: "SM1" })
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

/** Twilio's message statuses, as far as they move a delivery. */
const STATUS: Record<string, TrackedStatus> = {
  delivered: "delivered",
  undelivered: "failed",
  failed: "failed",
  read: "opened",
};

const twiml = (message?: string): WebhookAnswer => ({
  status: 200,
  contentType: "text/xml; charset=utf-8",
  body: message
    ? `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${escapeXml(message)}</Message></Response>`
    : `<?xml version="1.0" encoding="UTF-8"?><Response/>`,
});

export const twilioWebhook: WebhookHandler = {
  path: "twilio",
  channel: "sms",
  provider: "twilio",
  async handle(r, { businessId, setup, request }) {
    const config = setup.config as unknown as TwilioConfig;
    if (request.method !== "POST") return { status: 405, body: "POST only" };
    const params = Object.fromEntries(new URLSearchParams(request.rawBody));
    const given = request.headers["x-twilio-signature"];
    const expected = Buffer.from(twilioSignature(config.authToken, request.url, params));
    const signature = Buffer.from(typeof given === "string" ? given : "");
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected))
      return { status: 403, body: "signature does not match" };
    if (params.AccountSid !== config.accountSid) return { status: 403, body: "another account" };

    const status = params.MessageStatus ?? params.SmsStatus;
    if (status && status !== "received") {
      const tracked = STATUS[status];
      if (tracked && params.MessageSid) {
        const code = params.ErrorCode;
        await advanceDelivery(
          r,
          businessId,
          params.MessageSid,
          tracked,
          tracked === "failed"
            ? {
                ...(code ? { code } : {}),
                message: `Twilio reported the message ${status}${code ? ` (error ${code})` : ""}`,
              }
            : undefined,
        );
      }
      return { status: 204 };
    }
    return inbound(r, businessId, config, params);
  },
};

async function inbound(
  r: Resources,
  businessId: string,
  config: TwilioConfig,
  params: Record<string, string>,
): Promise<WebhookAnswer> {
  const keyword = keywordOf(params.Body ?? "");
  if (keyword === "help") return twiml(config.helpReply ?? (await defaultHelp(r, businessId)));
  if (keyword === null || !params.From) return twiml();
  const customer = await customerByPhone(r, businessId, params.From);
  if (customer)
    await updateCustomerIfPresent(r, businessId, customer.id, {
      subscriptions: { sms: keyword === "stop" ? "unsubscribed" : "subscribed" },
    });
  // Twilio's own opt-out handling confirms STOP and START to the sender.
  return twiml();
}

async function defaultHelp(r: Resources, businessId: string): Promise<string> {
  const { name } = await getBusiness(r, businessId);
  return `${name}: reply STOP to unsubscribe, START to subscribe again. Msg & data rates may apply.`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
