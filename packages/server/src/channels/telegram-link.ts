import { createHmac, timingSafeEqual } from "node:crypto";
import { type Customer, toCustomer } from "../customers/customer";
import type { Resources } from "../resources";
import type { Store } from "../store/store";
import { installationSecret } from "./installation-secret";

/**
 * Telegram deep links: `https://t.me/{botUsername}?start={token}` opens the bot with a Start
 * button; pressing it sends the bot `/start {token}`, and the webhook links that chat to the
 * customer the token names. A start parameter may hold only `A-Za-z0-9_-`, at most 64
 * characters, so the token is `{customerId}-{signature}`: the customer id (`cus_…`, 30
 * characters) and the base64url of the first 16 bytes of HMAC-SHA256 over
 * `{businessId}.{customerId}` under the installation's `telegram-link` secret (22 characters).
 * The business is not in the token — the webhook URL names it — but it is signed, so a token of
 * one business does not link a customer of another. Links never expire, like unsubscribe links.
 */
const SIGNATURE_LENGTH = 22;
const START_PARAMETER = /^[A-Za-z0-9_-]{1,64}$/;

async function signature(store: Store, businessId: string, customerId: string): Promise<Buffer> {
  const key = await installationSecret(store, "telegram-link");
  return createHmac("sha256", key).update(`${businessId}.${customerId}`).digest().subarray(0, 16);
}

/**
 * @example await telegramLinkToken(store, "bus_…", "cus_01jd…") // "cus_01jd…-Xq3…" (≤ 64 characters)
 */
export async function telegramLinkToken(
  store: Store,
  businessId: string,
  customerId: string,
): Promise<string> {
  const token = `${customerId}-${(await signature(store, businessId, customerId)).toString("base64url")}`;
  if (!START_PARAMETER.test(token))
    throw new Error(`customer id ${customerId} does not fit a Telegram start link`);
  return token;
}

/** The customer id a token names, or null when it is malformed or not signed for this business. */
export async function readTelegramLinkToken(
  store: Store,
  businessId: string,
  token: string,
): Promise<string | null> {
  if (!START_PARAMETER.test(token) || token.length < SIGNATURE_LENGTH + 2) return null;
  const customerId = token.slice(0, -SIGNATURE_LENGTH - 1);
  if (token[customerId.length] !== "-" || !customerId) return null;
  // Compared as text: base64url decoding ignores the last character's spare bits.
  const given = Buffer.from(token.slice(-SIGNATURE_LENGTH));
  const expected = Buffer.from((await signature(store, businessId, customerId)).toString("base64url"));
  return given.length === expected.length && timingSafeEqual(given, expected) ? customerId : null;
}

/**
 * @example await telegramLinkUrl(store, "bus_…", "cus_…", "shop_news_bot")
 *   // → "https://t.me/shop_news_bot?start=cus_…-Xq3…"
 */
export async function telegramLinkUrl(
  store: Store,
  businessId: string,
  customerId: string,
  botUsername: string,
): Promise<string> {
  return `https://t.me/${botUsername}?start=${await telegramLinkToken(store, businessId, customerId)}`;
}

/**
 * The business's customer whose linked Telegram chat is `chatId` (`addresses.telegram.chatId`),
 * or null; the oldest when two share it. The address sits in a JSON column, read with each
 * store's `jsonText` (each dialect's own JSON operator). No index covers it:
 * the scan stays within the business, and only membership changes (a block, an unblock, /stop)
 * look a chat up this way.
 *
 * @example await customerByTelegramChat(r, "bus_…", "123456789")
 */
export async function customerByTelegramChat(
  r: Resources,
  businessId: string,
  chatId: string,
): Promise<Customer | null> {
  const row = await r.store.db
    .selectFrom("customers")
    .selectAll()
    .where("business_id", "=", businessId)
    .where(r.store.jsonText("addresses", ["telegram", "chatId"]), "=", chatId)
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  return row ? toCustomer(row) : null;
}
