import { createHash } from "node:crypto";
import type { Outbound } from "../outbound/outbound";
import { httpUrlField, type ProviderDefinition, type SetupProblem } from "./definition";
import { failureOf, HttpClient, networkFailure } from "./http";
import type { ChannelProvider, EmailMessage, SendOptions, SendResult } from "./provider";
import { senderAddress } from "./smtp";

/**
 * Email through Resend's HTTP API (DESIGN §5: `{ provider: "resend", apiKey, from,
 * webhookSecret?, apiBaseUrl? }`) → `POST {apiBaseUrl}/emails` with `Authorization: Bearer`
 * and JSON `{ from, to, subject, html, text, headers }`; it answers `{ id }`, errors as
 * `{ statusCode, name, message }`. Bounces and complaints come back through
 * `/webhooks/{businessId}/email/resend`, signed the Svix way with `webhookSecret`.
 *
 * Every attempt of one delivery sends `Idempotency-Key: {delivery id}.{hash of the payload}`:
 * Resend answers a repeated request with the first one's id instead of sending again (24 h),
 * so a retry after a time-out sends once. The payload is part of the key because Resend
 * refuses a known key with another payload (409); a retry that rendered differently is then a
 * new message rather than a delivery marked failed although the first went out.
 *
 * @example
 *   const email = resendDefinition.create({ apiKey: "re_…", from: "Shop <news@shop.example>" }, outbound);
 *   await email.send({ channel: "email", to: "ada@example.com", subject: "Hi", html, text, headers: {} },
 *     { idempotencyKey: "dlv_…" }); // → { ok: true, providerMessageId: "4ef9a417-…" }
 */
export interface ResendConfig {
  apiKey: string;
  from: string;
  /** The signing secret of the Resend webhook (`whsec_…`), for bounces and complaints. */
  webhookSecret?: string;
  apiBaseUrl?: string;
}

export const RESEND_API = "https://api.resend.com";

export const resendDefinition: ProviderDefinition<ResendConfig> = {
  channel: "email",
  name: "resend",
  secretFields: ["apiKey", "webhookSecret"],
  parse(input, existing) {
    const problems: SetupProblem[] = [];
    const known = ["provider", "apiKey", "from", "webhookSecret", "apiBaseUrl"];
    for (const key of Object.keys(input))
      if (!known.includes(key)) problems.push({ field: key, message: "is not a field of the resend set-up" });
    const apiBaseUrl = httpUrlField(input.apiBaseUrl, "apiBaseUrl", problems, RESEND_API);
    const sameApi = (apiBaseUrl ?? RESEND_API) === (existing?.apiBaseUrl ?? RESEND_API);
    const secret = (field: "apiKey" | "webhookSecret", pattern: RegExp, what: string, required: boolean) => {
      const value = input[field];
      if (value === undefined && existing?.[field]) {
        // A stored key goes only to the API it was given for.
        if (sameApi) return existing[field];
        problems.push({ field, message: "must be sent again: the API base URL changed" });
      } else if (value !== undefined && (typeof value !== "string" || !pattern.test(value)))
        problems.push({ field, message: `must be ${what}` });
      else if (value === undefined && required) problems.push({ field, message: `is required: ${what}` });
      return value as string | undefined;
    };
    const apiKey = secret("apiKey", /^re_[A-Za-z0-9_]{8,200}$/, 'the API key ("re_…")', true);
    const webhookSecret = secret(
      "webhookSecret",
      /^whsec_[A-Za-z0-9+/=]{16,200}$/,
      'the webhook signing secret ("whsec_…")',
      false,
    );
    const from = input.from;
    if (typeof from !== "string" || senderAddress(from) === null)
      problems.push({ field: "from", message: 'must be an address, e.g. "Shop <news@shop.example>"' });
    if (problems.length > 0) return problems;
    return {
      apiKey: apiKey as string,
      from: (from as string).trim(),
      ...(webhookSecret ? { webhookSecret } : {}),
      ...(apiBaseUrl ? { apiBaseUrl } : {}),
    };
  },
  redact({ apiKey, webhookSecret, ...rest }) {
    return { ...rest, apiKeySet: apiKey.length > 0, webhookSecretSet: !!webhookSecret };
  },
  outboundHosts: (config) => [
    {
      field: config.apiBaseUrl ? "apiBaseUrl" : "apiKey",
      host: new URL(config.apiBaseUrl ?? RESEND_API).hostname,
    },
  ],
  create: (config, outbound) => new ResendProvider(config, outbound),
};

export class ResendProvider implements ChannelProvider<"email"> {
  readonly channel = "email" as const;
  readonly name = "resend";
  readonly #client: HttpClient;

  constructor(
    readonly config: ResendConfig,
    outbound: Outbound,
    private readonly options: { timeoutMs?: number } = {},
  ) {
    this.#client = new HttpClient(outbound, { maxSockets: 20 });
  }

  async send(message: EmailMessage, options: SendOptions): Promise<SendResult> {
    const payload = {
      from: this.config.from,
      to: [message.to],
      subject: message.subject,
      html: message.html,
      text: message.text,
      headers: message.headers,
    };
    const body = JSON.stringify(payload);
    const digest = createHash("sha256").update(body).digest("base64url").slice(0, 16);
    try {
      const response = await this.#client.request({
        method: "POST",
        url: `${this.config.apiBaseUrl ?? RESEND_API}/emails`,
        headers: {
          authorization: `Bearer ${this.config.apiKey}`,
          "content-type": "application/json",
          "idempotency-key": `${options.idempotencyKey}.${digest}`,
        },
        body,
        ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
      });
      const answer = (response.json ?? {}) as { id?: unknown; name?: unknown; message?: unknown };
      if (response.status >= 200 && response.status < 300 && typeof answer.id === "string")
        return { ok: true, providerMessageId: answer.id };
      const name = typeof answer.name === "string" ? answer.name : "";
      const reason = `Resend ${name}: ${typeof answer.message === "string" ? answer.message.slice(0, 300) : "unexpected answer"}`;
      // The set-up's fault, fixed without the message changing: retried until it is.
      if (response.status === 401 || response.status === 403 || name === "concurrent_idempotent_requests")
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
