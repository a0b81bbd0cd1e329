import type { Outbound } from "../outbound/outbound";
import { httpUrlField, type ProviderDefinition, type SetupProblem } from "./definition";
import { failureOf, HttpClient, type HttpResponse, networkFailure } from "./http";
import type { ChannelProvider, SendFailure, SendOptions, SendResult, TextMessage } from "./provider";

/**
 * Telegram through the Bot API (DESIGN §5 Channel set-up):
 * `{ provider: "telegram", botToken, botUsername, apiBaseUrl? }` →
 * `POST {apiBaseUrl}/bot{botToken}/sendMessage {chat_id, text}`.
 *
 * The bot token is the whole credential (it sits in the URL path), so it is a secret and goes
 * only to the API base it was given for. Telegram has no idempotency key: a retried send after
 * a time-out may deliver twice (the policy in docs/decisions.md). A chat whose user blocked the
 * bot, or whose account is gone, is reported in `gone` so the dispatcher suppresses the channel.
 */
export interface TelegramConfig {
  /** `123456789:AAH…` as BotFather gives it (digits, a colon, 35 characters). */
  botToken: string;
  /** The bot's @username without the @, e.g. "shop_news_bot": deep links open it. */
  botUsername: string;
  /** Default https://api.telegram.org; a local Bot API server or a test server stands in. */
  apiBaseUrl?: string;
}

/** The public Bot API. */
export const TELEGRAM_API = "https://api.telegram.org";

const BOT_TOKEN = /^\d{1,20}:[A-Za-z0-9_-]{35}$/;
const BOT_USERNAME = /^[A-Za-z0-9_]{5,32}$/;

/** The API base of a set-up, without a trailing slash. */
export function telegramApiBase(config: Pick<TelegramConfig, "apiBaseUrl">): string {
  return (config.apiBaseUrl ?? TELEGRAM_API).replace(/\/+$/, "");
}

/**
 * The URL of a Bot API method, e.g. `https://api.telegram.org/bot123:AA…/sendMessage`. It holds
 * the token: never log it.
 */
export function telegramMethodUrl(config: TelegramConfig, method: string): string {
  return `${telegramApiBase(config)}/bot${config.botToken}/${method}`;
}

/** The bot's numeric id: the part of the token before the colon (not a secret). */
export function telegramBotId(botToken: string): string {
  return botToken.split(":")[0] ?? "";
}

export const telegramDefinition: ProviderDefinition<TelegramConfig> = {
  channel: "telegram",
  name: "telegram",
  secretFields: ["botToken"],
  parse(input, existing) {
    const problems: SetupProblem[] = [];
    const known = ["provider", "botToken", "botUsername", "apiBaseUrl"];
    for (const key of Object.keys(input)) {
      if (!known.includes(key))
        problems.push({ field: key, message: "is not a field of the telegram set-up" });
    }
    const { botUsername } = input;
    if (typeof botUsername !== "string" || !BOT_USERNAME.test(botUsername) || !/bot$/i.test(botUsername))
      problems.push({
        field: "botUsername",
        message: 'must be the bot\'s username without "@": 5–32 letters, digits or _, ending in "bot"',
      });
    const apiBaseUrl = httpUrlField(input.apiBaseUrl, "apiBaseUrl", problems, TELEGRAM_API);
    let botToken = input.botToken;
    if (botToken === undefined && existing?.botToken) {
      // A stored token goes only to the API and bot it was given for: sent to another base URL
      // it would hand the bot to whoever runs that host.
      const sameBot =
        telegramApiBase({ apiBaseUrl }) === telegramApiBase(existing) &&
        typeof botUsername === "string" &&
        botUsername.toLowerCase() === existing.botUsername.toLowerCase();
      if (sameBot) botToken = existing.botToken;
      else
        problems.push({
          field: "botToken",
          message: "must be sent again: the bot username or apiBaseUrl changed",
        });
    } else if (typeof botToken !== "string" || !BOT_TOKEN.test(botToken.trim()))
      problems.push({
        field: "botToken",
        message: "must be the token BotFather gave, e.g. 123456789:AAH… (digits, a colon, 35 characters)",
      });
    if (problems.length > 0) return problems;
    return {
      botToken: (botToken as string).trim(),
      botUsername: botUsername as string,
      ...(typeof apiBaseUrl === "string" ? { apiBaseUrl } : {}),
    };
  },
  redact({ botToken, ...rest }) {
    return { ...rest, botTokenSet: typeof botToken === "string" && botToken.length > 0 };
  },
  outboundHosts: (config) => [{ field: "apiBaseUrl", host: new URL(telegramApiBase(config)).hostname }],
  create: (config, outbound) => new TelegramProvider(config, outbound),
};

/** Sends Telegram messages through the Bot API, over one keep-alive HTTP client. */
export class TelegramProvider implements ChannelProvider<"telegram"> {
  readonly channel = "telegram" as const;
  readonly name = "telegram";
  readonly #client: HttpClient;
  readonly #timeoutMs: number;

  constructor(
    readonly config: TelegramConfig,
    outbound: Outbound,
    options: { timeoutMs?: number } = {},
  ) {
    this.#client = new HttpClient(outbound);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * @example
   *   await provider.send({ channel: "telegram", to: "123456789", body: "Hi" }, { idempotencyKey: "dlv_…" })
   *   // → { ok: true, providerMessageId: "123456789:42" }
   */
  async send(message: TextMessage, _options: SendOptions): Promise<SendResult> {
    let response: HttpResponse;
    try {
      response = await this.#client.request({
        method: "POST",
        url: telegramMethodUrl(this.config, "sendMessage"),
        json: { chat_id: message.to, text: message.body },
        timeoutMs: this.#timeoutMs,
      });
    } catch (error) {
      return networkFailure(error);
    }
    return sendResultOf(response, message.to);
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}

interface BotApiAnswer {
  ok?: unknown;
  result?: { message_id?: unknown; chat?: { id?: unknown } };
  error_code?: unknown;
  description?: unknown;
  parameters?: { retry_after?: unknown };
}

/** Chats that will never take a message again: the user blocked the bot, or the account is gone. */
const GONE = /bot was blocked by the user|user is deactivated|bot was kicked/i;

/**
 * What a sendMessage answer means: `{ok: true, result: {message_id, chat}}` is sent, with
 * `"{chat id}:{message id}"` as the message id (message ids are per chat); a failure is
 * classified by the shared HTTP rule, with Telegram's `parameters.retry_after` (seconds) as the
 * wait of a 429, and a blocked or deactivated chat reported gone.
 *
 * @example sendResultOf({ status: 403, json: { ok: false, error_code: 403,
 *     description: "Forbidden: bot was blocked by the user" }, … }, "42")
 *   // → { ok: false, kind: "permanent", message: "403 Forbidden: bot was blocked by the user", gone: ["42"] }
 */
export function sendResultOf(response: HttpResponse, chatId: string, now = Date.now()): SendResult {
  const answer = (response.json ?? {}) as BotApiAnswer;
  if (response.status >= 200 && response.status < 300) {
    const messageId = answer.result?.message_id;
    if (answer.ok === true && typeof messageId === "number") {
      const chat = answer.result?.chat?.id;
      const to = typeof chat === "number" || typeof chat === "string" ? String(chat) : chatId;
      return { ok: true, providerMessageId: `${to}:${messageId}` };
    }
    // A 2xx that is not a Bot API success: whether the message went is unknown, as after a
    // time-out, and the policy for that is to try again.
    return { ok: false, kind: "retryable", message: `${response.status} not a Bot API answer` };
  }
  const failure = classify(response, botApiReason(answer), now);
  return typeof answer.description === "string" && GONE.test(answer.description) && response.status === 403
    ? { ...failure, gone: [chatId] }
    : failure;
}

function classify(response: HttpResponse, reason: string, now: number): SendFailure {
  const seconds = (response.json as BotApiAnswer | null)?.parameters?.retry_after;
  if (response.status === 429 && typeof seconds === "number" && seconds >= 0)
    return { ok: false, kind: "retry_after", retryAfterMs: seconds * 1000, message: `429 ${reason}` };
  return failureOf(response, reason, now);
}

/** Telegram's own error text (`description`), short; never a proxy's HTML page. */
export function botApiReason(answer: BotApiAnswer): string {
  if (typeof answer.description === "string" && answer.description)
    return answer.description.replace(/\s+/g, " ").slice(0, 200);
  return "the Telegram API answered without a Bot API error";
}

/**
 * Points the bot's updates at Journeys (`setWebhook`): `url` is
 * `{publicUrl}/webhooks/{businessId}/telegram`, `secretToken` what Telegram sends back in
 * `X-Telegram-Bot-Api-Secret-Token` (`telegramWebhookSecret`). Only the two update kinds the
 * webhook reads are asked for. Answers Telegram's description, or the failure.
 *
 * @example
 *   await registerTelegramWebhook(new HttpClient(r.outbound), config,
 *     "https://journeys.example.com/webhooks/bus_…/telegram", await telegramWebhookSecret(r.store, "bus_…", config))
 *   // → { ok: true, description: "Webhook was set" }
 */
export async function registerTelegramWebhook(
  client: HttpClient,
  config: TelegramConfig,
  url: string,
  secretToken: string,
): Promise<{ ok: true; description: string } | SendFailure> {
  let response: HttpResponse;
  try {
    response = await client.request({
      method: "POST",
      url: telegramMethodUrl(config, "setWebhook"),
      json: { url, secret_token: secretToken, allowed_updates: ["message", "my_chat_member"] },
    });
  } catch (error) {
    return networkFailure(error);
  }
  const answer = (response.json ?? {}) as BotApiAnswer;
  if (response.status === 200 && answer.ok === true)
    return { ok: true, description: typeof answer.description === "string" ? answer.description : "" };
  if (response.status === 200) return { ok: false, kind: "retryable", message: "200 not a Bot API answer" };
  return classify(response, botApiReason(answer), Date.now());
}
