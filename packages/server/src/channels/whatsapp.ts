import type { Outbound } from "../outbound/outbound";
import { httpUrlField, type ProviderDefinition, type SetupProblem } from "./definition";
import { failureOf, HttpClient, type HttpResponse, networkFailure, retryAfterMs } from "./http";
import type { ChannelProvider, SendFailure, SendOptions, SendResult, WhatsappMessage } from "./provider";

/**
 * WhatsApp through Meta's Cloud API (DESIGN §5 Channel set-up):
 * `{ provider: "whatsapp_cloud", phoneNumberId, accessToken, appSecret, verifyToken, apiVersion?,
 * apiBaseUrl? }` → `POST {apiBaseUrl}/{apiVersion}/{phoneNumberId}/messages` with
 * `Authorization: Bearer {accessToken}`. `appSecret` and `verifyToken` are for the webhook
 * (`whatsapp-webhook.ts`): the signature of each callback and the subscription handshake.
 *
 * A message is free text (`body`, only inside the 24-hour customer-service window — the
 * dispatcher picks it, `dispatcher/whatsapp-window.ts`) or an approved template whose body
 * parameters Liquid has already rendered. The Cloud API has no idempotency key: a retry after a
 * time-out may send twice (the policy in docs/decisions.md). Errors are Graph errors,
 * `{ error: { message, type, code, error_subcode, fbtrace_id } }`, mostly with HTTP 400 whatever
 * they mean, so the `code` decides what is worth retrying (`classifyWhatsappError`).
 *
 * @example
 *   const wa = whatsappDefinition.create({ phoneNumberId: "106540352242922", accessToken: "EAAG…",
 *     appSecret: "…", verifyToken: "…" }, outbound);
 *   await wa.send({ channel: "whatsapp", to: "+4915112345678", body: "Hi" }, { idempotencyKey: "dlv_…" });
 *   // → { ok: true, providerMessageId: "wamid.HBgN…" }
 */
export interface WhatsappConfig {
  phoneNumberId: string;
  accessToken: string;
  /** The Meta app's secret: the key of the `X-Hub-Signature-256` HMAC on callbacks. */
  appSecret: string;
  /** Chosen by the business and typed into the App Dashboard; compared on the GET handshake. */
  verifyToken: string;
  /** The Graph API version, e.g. "v23.0" (default `WHATSAPP_API_VERSION`). */
  apiVersion?: string;
  apiBaseUrl?: string;
}

export const WHATSAPP_API = "https://graph.facebook.com";
export const WHATSAPP_API_VERSION = "v23.0";

const FIELDS = [
  "provider",
  "phoneNumberId",
  "accessToken",
  "appSecret",
  "verifyToken",
  "apiVersion",
  "apiBaseUrl",
];
const PHONE_NUMBER_ID = /^\d{5,20}$/;
const API_VERSION = /^v\d{1,3}\.\d{1,2}$/;
const ACCESS_TOKEN = /^[A-Za-z0-9._|-]{16,4096}$/;
const APP_SECRET = /^[0-9a-fA-F]{32}$/;

export const whatsappDefinition: ProviderDefinition<WhatsappConfig> = {
  channel: "whatsapp",
  name: "whatsapp_cloud",
  secretFields: ["accessToken", "appSecret", "verifyToken"],
  parse(input, existing) {
    const problems: SetupProblem[] = [];
    for (const key of Object.keys(input))
      if (!FIELDS.includes(key))
        problems.push({ field: key, message: "is not a field of the whatsapp_cloud set-up" });
    const { phoneNumberId, apiVersion } = input;
    if (typeof phoneNumberId !== "string" || !PHONE_NUMBER_ID.test(phoneNumberId))
      problems.push({
        field: "phoneNumberId",
        message:
          "must be the phone number ID (digits, from WhatsApp Manager → API Setup), not the phone number",
      });
    if (apiVersion !== undefined && (typeof apiVersion !== "string" || !API_VERSION.test(apiVersion)))
      problems.push({
        field: "apiVersion",
        message: `must be a Graph API version such as "${WHATSAPP_API_VERSION}"`,
      });
    const apiBaseUrl = httpUrlField(input.apiBaseUrl, "apiBaseUrl", problems, WHATSAPP_API);

    // The token is sent with every request: a stored one goes only to the number and API it
    // was given for, or it would be handed to whatever host the set-up now names.
    const sameAccount =
      existing !== null &&
      phoneNumberId === existing.phoneNumberId &&
      (apiBaseUrl ?? WHATSAPP_API) === (existing.apiBaseUrl ?? WHATSAPP_API);
    const accessToken = secret(input, existing, "accessToken", sameAccount, problems, {
      valid: (v) => ACCESS_TOKEN.test(v),
      message: "is required: a system user's or the app's access token (no spaces)",
      moved: "must be sent again: the phone number ID or API base URL changed",
    });
    // Neither leaves the server (they check what Meta sends), so a stored one is always kept.
    const appSecret = secret(input, existing, "appSecret", true, problems, {
      valid: (v) => APP_SECRET.test(v),
      message:
        "is required: the app secret (32 hexadecimal characters, App Dashboard → App settings → Basic)",
    });
    const verifyToken = secret(input, existing, "verifyToken", true, problems, {
      valid: (v) => v.trim() !== "" && v.length <= 256,
      message:
        "is required: the verify token typed into the App Dashboard's webhook set-up (at most 256 characters)",
    });
    if (problems.length > 0) return problems;
    return {
      phoneNumberId: phoneNumberId as string,
      accessToken: accessToken as string,
      appSecret: appSecret as string,
      verifyToken: verifyToken as string,
      ...(typeof apiVersion === "string" ? { apiVersion } : {}),
      ...(apiBaseUrl ? { apiBaseUrl } : {}),
    };
  },
  redact({ accessToken, appSecret, verifyToken, ...rest }) {
    return {
      ...rest,
      accessTokenSet: accessToken.length > 0,
      appSecretSet: appSecret.length > 0,
      verifyTokenSet: verifyToken.length > 0,
    };
  },
  outboundHosts: (config) => [
    {
      field: config.apiBaseUrl ? "apiBaseUrl" : "phoneNumberId",
      host: new URL(config.apiBaseUrl ?? WHATSAPP_API).hostname,
    },
  ],
  create: (config, outbound) => new WhatsappProvider(config, outbound),
};

type SecretField = "accessToken" | "appSecret" | "verifyToken";

/** A secret of the set-up: as sent, else the stored one when `keep` allows it. */
function secret(
  input: Record<string, unknown>,
  existing: WhatsappConfig | null,
  field: SecretField,
  keep: boolean,
  problems: SetupProblem[],
  rule: { valid: (value: string) => boolean; message: string; moved?: string },
): string | undefined {
  const value = input[field];
  if (value === undefined && existing?.[field]) {
    if (keep) return existing[field];
    problems.push({ field, message: rule.moved ?? rule.message });
    return undefined;
  }
  if (typeof value === "string" && rule.valid(value)) return value;
  problems.push({ field, message: rule.message });
  return undefined;
}

/** Sends WhatsApp messages through one keep-alive HTTP client. */
export class WhatsappProvider implements ChannelProvider<"whatsapp"> {
  readonly channel = "whatsapp" as const;
  readonly name = "whatsapp_cloud";
  readonly #client: HttpClient;
  readonly #url: string;
  readonly #auth: string;
  readonly #timeoutMs: number | undefined;

  constructor(
    readonly config: WhatsappConfig,
    outbound: Outbound,
    /** `timeoutMs`: the whole exchange (default the HTTP client's 10 s); tests shorten it. */
    options: { timeoutMs?: number } = {},
  ) {
    this.#client = new HttpClient(outbound, { maxSockets: 20 });
    const base = config.apiBaseUrl ?? WHATSAPP_API;
    this.#url = `${base}/${config.apiVersion ?? WHATSAPP_API_VERSION}/${config.phoneNumberId}/messages`;
    this.#auth = `Bearer ${config.accessToken}`;
    this.#timeoutMs = options.timeoutMs;
  }

  async send(message: WhatsappMessage, _options: SendOptions): Promise<SendResult> {
    const payload = whatsappPayload(message);
    if (!payload)
      return {
        ok: false,
        kind: "permanent",
        message: "the message has neither a body nor a whatsappTemplate",
      };
    try {
      const response = await this.#client.request({
        method: "POST",
        url: this.#url,
        headers: { authorization: this.#auth, accept: "application/json" },
        json: payload,
        ...(this.#timeoutMs ? { timeoutMs: this.#timeoutMs } : {}),
      });
      const id = (response.json as { messages?: Array<{ id?: unknown }> } | null)?.messages?.[0]?.id;
      if (response.status >= 200 && response.status < 300 && typeof id === "string" && id)
        return { ok: true, providerMessageId: id };
      return classifyWhatsappError(response);
    } catch (error) {
      return networkFailure(error);
    }
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}

/**
 * The Cloud API request body of a message: a template when it has one, else free text. `to` is
 * the number in international form without the "+".
 *
 * @example whatsappPayload({ channel: "whatsapp", to: "+4915112345678", body: "Hi" })
 *   // → { messaging_product: "whatsapp", recipient_type: "individual", to: "4915112345678",
 *   //     type: "text", text: { body: "Hi", preview_url: false } }
 */
export function whatsappPayload(message: WhatsappMessage): Record<string, unknown> | null {
  const head = {
    messaging_product: "whatsapp",
    recipient_type: "individual",
    to: message.to.replace(/^\+/, ""),
  };
  const ref = message.whatsappTemplate;
  if (ref) {
    const parameters = ref.parameters.map((text) => ({ type: "text", text }));
    return {
      ...head,
      type: "template",
      template: {
        name: ref.name,
        language: { code: ref.language },
        // A template without variables takes no body component (an empty one is refused).
        ...(parameters.length > 0 ? { components: [{ type: "body", parameters }] } : {}),
      },
    };
  }
  if (message.body === undefined) return null;
  return { ...head, type: "text", text: { body: message.body, preview_url: false } };
}

/** Graph error codes that mean "too many, slow down": throughput, pair and app rate limits. */
const RATE_LIMITED = new Set([4, 80007, 130429, 131056]);
/** "Temporarily unavailable" (code 2) and "something went wrong" (131000): try again. */
const TEMPORARY = new Set([2, 131000]);
/** More than 24 hours since the customer's last message: free text is refused, a template is needed. */
const RE_ENGAGEMENT = 131047;
/** The recipient cannot get WhatsApp messages (not on WhatsApp, old app, blocked the business…). */
const UNDELIVERABLE = 131026;
/** The access token expired or was revoked. */
const TOKEN_INVALID = 190;

/**
 * What a Cloud API answer that is not a success means for the delivery, by its Graph error
 * code first (most come with HTTP 400 whatever they mean), then by its HTTP status. The reason
 * is `(#code) message` from the JSON error only — never an HTML page a proxy answered.
 *
 * @example classifyWhatsappError({ status: 400, headers: {}, body: "…",
 *     json: { error: { code: 131047, message: "(#131047) Re-engagement message" } } })
 *   // → { ok: false, kind: "permanent", message: "400 (#131047) Re-engagement message: …" }
 */
export function classifyWhatsappError(response: HttpResponse, now = Date.now()): SendFailure {
  const error = (response.json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof error?.code === "number" ? error.code : null;
  const text = typeof error?.message === "string" ? error.message.slice(0, 300) : "";
  const reason =
    code === null
      ? "from the WhatsApp Cloud API"
      : text.startsWith(`(#${code})`)
        ? text
        : `(#${code}) ${text || "WhatsApp Cloud API error"}`;
  const message = `${response.status} ${reason}`;
  if (code === RE_ENGAGEMENT)
    return {
      ok: false,
      kind: "permanent",
      message: `${message}: more than 24 hours since the customer's last message, so only an approved template may go`,
    };
  if (code === UNDELIVERABLE) return { ok: false, kind: "permanent", message };
  if (code === TOKEN_INVALID || response.status === 401)
    return {
      ok: false,
      kind: "retryable",
      message: `the WhatsApp Cloud API refused the access token: fix the accessToken of the whatsapp set-up (${message})`,
    };
  if ((code !== null && (RATE_LIMITED.has(code) || TEMPORARY.has(code))) || response.status === 429) {
    const wait = retryAfterMs(response.headers, now);
    return wait !== null
      ? { ok: false, kind: "retry_after", retryAfterMs: wait, message }
      : { ok: false, kind: "retryable", message };
  }
  return failureOf(response, reason, now);
}
