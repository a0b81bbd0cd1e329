import { createHmac, timingSafeEqual } from "node:crypto";
import { updateCustomerIfPresent } from "../customers/edit";
import type { Resources } from "../resources";
import type { Store } from "../store/store";
import { HttpClient } from "./http";
import { installationSecret } from "./installation-secret";
import type { SendFailure } from "./provider";
import { registerTelegramWebhook, type TelegramConfig, telegramBotId } from "./telegram";
import { customerByTelegramChat, readTelegramLinkToken } from "./telegram-link";
import type { WebhookHandler } from "./webhooks";

/**
 * The bot's updates (`POST /webhooks/{businessId}/telegram`, set with `setWebhook`). Telegram
 * does not sign updates; it sends back the `secret_token` given to setWebhook in
 * `X-Telegram-Bot-Api-Secret-Token`. That token is not stored: it is HMAC-SHA256 over
 * `{businessId}.{bot id}` under the installation's `telegram-webhook` secret, so every process
 * derives the same one, and a bot replaced in the set-up no longer gets in.
 *
 * What an update does, once the token matched (anything else is answered 200 and ignored —
 * Telegram repeats an update until it gets a 2xx, and a repeat changes nothing):
 * - `/start {token}` in a private chat, with a token signed for a customer of this business:
 *   the chat becomes the customer's `addresses.telegram.chatId` and telegram `subscribed`
 *   (the customer opened the link and pressed Start: that is the opt-in);
 * - `/stop`: the customer of that chat becomes `unsubscribed`;
 * - `my_chat_member` to `kicked` (the user blocked the bot): `unsubscribed`; back to `member`
 *   (unblocked): `subscribed`, only for a chat that was linked to a customer.
 */
export const telegramWebhook: WebhookHandler = {
  path: "telegram",
  channel: "telegram",
  provider: "telegram",
  async handle(r, { businessId, setup, request }) {
    const expected = Buffer.from(
      await telegramWebhookSecret(r.store, businessId, setup.config as unknown as TelegramConfig),
    );
    const header = request.headers["x-telegram-bot-api-secret-token"];
    const given = Buffer.from(typeof header === "string" ? header : "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return {
        status: 403,
        body: { error: { code: "forbidden", message: "the secret token does not match", details: null } },
      };
    if (request.method !== "POST") return { status: 405 };
    let update: TelegramUpdate;
    try {
      update = JSON.parse(request.rawBody) as TelegramUpdate;
    } catch {
      return { status: 200 };
    }
    if (update && typeof update === "object") await applyUpdate(r, businessId, update);
    return { status: 200 };
  },
};

/**
 * What Telegram sends back in `X-Telegram-Bot-Api-Secret-Token` for this business and bot
 * (43 characters of `A-Za-z0-9_-`, within setWebhook's 1–256).
 *
 * @example await telegramWebhookSecret(store, "bus_…", { botToken: "123456789:AA…" })
 */
export async function telegramWebhookSecret(
  store: Store,
  businessId: string,
  config: Pick<TelegramConfig, "botToken">,
): Promise<string> {
  const key = await installationSecret(store, "telegram-webhook");
  return createHmac("sha256", key)
    .update(`${businessId}.${telegramBotId(config.botToken)}`)
    .digest("base64url");
}

/**
 * Registers this business's webhook with Telegram: `{publicUrl}/webhooks/{businessId}/telegram`
 * with the derived secret token. Call it when the set-up is saved and on "send test". Telegram
 * takes only public HTTPS URLs on ports 443, 80, 88 or 8443.
 *
 * @example await connectTelegramWebhook(r, "bus_…", config, "https://journeys.example.com")
 *   // → { ok: true, description: "Webhook was set" }
 */
export async function connectTelegramWebhook(
  r: Resources,
  businessId: string,
  config: TelegramConfig,
  publicUrl: string,
): Promise<{ ok: true; description: string } | SendFailure> {
  const client = new HttpClient(r.outbound);
  try {
    const url = `${publicUrl.replace(/\/+$/, "")}/webhooks/${businessId}/telegram`;
    return await registerTelegramWebhook(
      client,
      config,
      url,
      await telegramWebhookSecret(r.store, businessId, config),
    );
  } finally {
    client.close();
  }
}

/** The parts of a Bot API `Update` the webhook reads. */
interface TelegramUpdate {
  update_id?: number;
  message?: { text?: unknown; chat?: { id?: unknown; type?: unknown } };
  my_chat_member?: { chat?: { id?: unknown }; new_chat_member?: { status?: unknown } };
}

const COMMAND = /^\/(start|stop)(?:@\w+)?(?:\s+(\S+))?\s*$/i;

async function applyUpdate(r: Resources, businessId: string, update: TelegramUpdate): Promise<void> {
  const message = update.message;
  if (message && typeof message.text === "string") {
    const chatId = chatIdOf(message.chat?.id);
    const command = COMMAND.exec(message.text.trim());
    if (!chatId || !command) return;
    if (command[1]!.toLowerCase() === "stop")
      return setChatSubscription(r, businessId, chatId, "unsubscribed");
    if (!command[2] || message.chat?.type !== "private") return;
    const customerId = await readTelegramLinkToken(r.store, businessId, command[2]);
    if (!customerId) return;
    await updateCustomerIfPresent(r, businessId, customerId, {
      addresses: { telegram: { chatId } },
      subscriptions: { telegram: "subscribed" },
    });
    return;
  }
  const member = update.my_chat_member;
  const chatId = chatIdOf(member?.chat?.id);
  const status = member?.new_chat_member?.status;
  if (!chatId) return;
  if (status === "kicked") return setChatSubscription(r, businessId, chatId, "unsubscribed");
  if (status === "member") return setChatSubscription(r, businessId, chatId, "subscribed");
}

/** The subscription of the customer linked to `chatId`; nothing when no customer is. */
async function setChatSubscription(
  r: Resources,
  businessId: string,
  chatId: string,
  status: "subscribed" | "unsubscribed",
): Promise<void> {
  const customer = await customerByTelegramChat(r, businessId, chatId);
  if (customer)
    await updateCustomerIfPresent(r, businessId, customer.id, { subscriptions: { telegram: status } });
}

function chatIdOf(id: unknown): string | null {
  if (typeof id === "number" && Number.isSafeInteger(id)) return String(id);
  if (typeof id === "string" && /^-?\d{1,20}$/.test(id)) return id;
  return null;
}
