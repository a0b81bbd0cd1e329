import type { Outbound } from "../outbound/outbound";
import { httpUrlField, type ProviderDefinition, type SetupProblem } from "./definition";
import { failureOf, HttpClient, networkFailure } from "./http";
import type { ChannelProvider, SendOptions, SendResult, TextMessage } from "./provider";

/**
 * SMS through Twilio's Messages API (DESIGN §5 Channel set-up):
 * `{ provider: "twilio", accountSid, authToken, from?, messagingServiceSid?, apiBaseUrl? }` →
 * `POST {apiBaseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json`, form-encoded, HTTP Basic
 * auth with the account SID and auth token. Each message asks for status callbacks at
 * `{callbackBase}/twilio`, where `twilio-webhook.ts` moves the delivery forward.
 *
 * Twilio has no idempotency key for a send: a retry after a time-out may send twice (the
 * policy in docs/decisions.md). Errors are `{ code, message, more_info, status }`; the code
 * decides what is worth retrying.
 *
 * @example
 *   const sms = twilioDefinition.create({ accountSid: "AC…", authToken: "…", from: "+15005550006" }, outbound);
 *   await sms.send({ channel: "sms", to: "+4915112345678", body: "Hi" }, { idempotencyKey: "dlv_…" });
 *   // → { ok: true, providerMessageId: "SM…" }
 */
export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** An E.164 number, a short code or an alphanumeric sender id. */
  from?: string;
  /** A messaging service ("MG…") picks the sender instead of `from`. */
  messagingServiceSid?: string;
  /** What a customer who texts HELP gets back (default: the business's name and how to stop). */
  helpReply?: string;
  apiBaseUrl?: string;
}

export const TWILIO_API = "https://api.twilio.com";

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
const SENDER = /^(\+[1-9]\d{6,14}|\d{3,8}|[A-Za-z0-9 ]{1,11})$/;

export const twilioDefinition: ProviderDefinition<TwilioConfig> = {
  channel: "sms",
  name: "twilio",
  secretFields: ["authToken"],
  parse(input, existing) {
    const problems: SetupProblem[] = [];
    const known = [
      "provider",
      "accountSid",
      "authToken",
      "from",
      "messagingServiceSid",
      "helpReply",
      "apiBaseUrl",
    ];
    for (const key of Object.keys(input))
      if (!known.includes(key)) problems.push({ field: key, message: "is not a field of the twilio set-up" });
    const { accountSid, from, messagingServiceSid, helpReply } = input;
    if (typeof accountSid !== "string" || !ACCOUNT_SID.test(accountSid))
      problems.push({ field: "accountSid", message: 'must be the account SID ("AC" and 32 hex digits)' });
    const apiBaseUrl = httpUrlField(input.apiBaseUrl, "apiBaseUrl", problems, TWILIO_API);
    let authToken = input.authToken;
    if (authToken === undefined && existing?.authToken) {
      // A stored token goes only to the account and API it was given for.
      if (
        accountSid === existing.accountSid &&
        (apiBaseUrl ?? TWILIO_API) === (existing.apiBaseUrl ?? TWILIO_API)
      )
        authToken = existing.authToken;
      else
        problems.push({
          field: "authToken",
          message: "must be sent again: the account SID or API base URL changed",
        });
    } else if (typeof authToken !== "string" || !/^[A-Za-z0-9]{16,128}$/.test(authToken))
      problems.push({ field: "authToken", message: "is required: the account's auth token" });
    if (from !== undefined && (typeof from !== "string" || !SENDER.test(from)))
      problems.push({
        field: "from",
        message: "must be an E.164 number (+15005550006), a short code or an alphanumeric sender id (≤ 11)",
      });
    if (
      messagingServiceSid !== undefined &&
      (typeof messagingServiceSid !== "string" || !SERVICE_SID.test(messagingServiceSid))
    )
      problems.push({
        field: "messagingServiceSid",
        message: 'must be a messaging service SID ("MG" and 32 hex digits)',
      });
    if (from === undefined && messagingServiceSid === undefined)
      problems.push({
        field: "from",
        message: "or messagingServiceSid is required: who the messages come from",
      });
    if (
      helpReply !== undefined &&
      (typeof helpReply !== "string" || helpReply.trim() === "" || helpReply.length > 320)
    )
      problems.push({ field: "helpReply", message: "must be a text of at most 320 characters" });
    if (problems.length > 0) return problems;
    return {
      accountSid: accountSid as string,
      authToken: authToken as string,
      ...(typeof from === "string" ? { from } : {}),
      ...(typeof messagingServiceSid === "string" ? { messagingServiceSid } : {}),
      ...(typeof helpReply === "string" ? { helpReply: helpReply.trim() } : {}),
      ...(apiBaseUrl ? { apiBaseUrl } : {}),
    };
  },
  redact({ authToken, ...rest }) {
    return { ...rest, authTokenSet: authToken.length > 0 };
  },
  outboundHosts: (config) => [
    {
      field: config.apiBaseUrl ? "apiBaseUrl" : "accountSid",
      host: new URL(config.apiBaseUrl ?? TWILIO_API).hostname,
    },
  ],
  create: (config, outbound) => new TwilioProvider(config, outbound),
};

/**
 * Twilio error codes (https://www.twilio.com/docs/api/errors) worth another try although their
 * HTTP status is a 4xx: the account's credentials or sending limits, which the business fixes
 * without the message changing.
 */
const RETRYABLE_CODES = new Set([20003, 20429, 14107, 30001]);
/** The recipient replied STOP: Twilio refuses every message to them until START. */
const UNSUBSCRIBED_RECIPIENT = 21610;

export class TwilioProvider implements ChannelProvider<"sms"> {
  readonly channel = "sms" as const;
  readonly name = "twilio";
  readonly #client: HttpClient;
  readonly #url: string;
  readonly #auth: string;

  constructor(
    readonly config: TwilioConfig,
    outbound: Outbound,
    private readonly options: { timeoutMs?: number } = {},
  ) {
    this.#client = new HttpClient(outbound, { maxSockets: 20 });
    this.#url = `${config.apiBaseUrl ?? TWILIO_API}/2010-04-01/Accounts/${config.accountSid}/Messages.json`;
    this.#auth = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString("base64")}`;
  }

  async send(message: TextMessage, options: SendOptions): Promise<SendResult> {
    try {
      const response = await this.#client.request({
        method: "POST",
        url: this.#url,
        ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
        headers: { authorization: this.#auth, accept: "application/json" },
        form: {
          To: message.to,
          Body: message.body,
          ...(this.config.messagingServiceSid
            ? { MessagingServiceSid: this.config.messagingServiceSid }
            : { From: this.config.from }),
          ...(options.callbackBase ? { StatusCallback: `${options.callbackBase}/twilio` } : {}),
        },
      });
      const body = (response.json ?? {}) as { sid?: unknown; code?: unknown; message?: unknown };
      if (response.status >= 200 && response.status < 300 && typeof body.sid === "string")
        return { ok: true, providerMessageId: body.sid };
      const code = typeof body.code === "number" ? body.code : null;
      const reason = `Twilio${code === null ? "" : ` ${code}`}: ${typeof body.message === "string" ? body.message.slice(0, 300) : "unexpected answer"}`;
      if (code === UNSUBSCRIBED_RECIPIENT)
        return { ok: false, kind: "permanent", message: `${response.status} ${reason}`, gone: [message.to] };
      if (code !== null && RETRYABLE_CODES.has(code) && response.status < 500 && response.status !== 429)
        return { ok: false, kind: "retryable", message: `${response.status} ${reason}` };
      return failureOf(response, reason);
    } catch (error) {
      return networkFailure(error);
    }
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}
