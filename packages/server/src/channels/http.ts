import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import { type Outbound, OutboundRefused } from "../outbound/outbound";
import type { SendFailure } from "./provider";

/**
 * The one HTTP client of every HTTP provider (Twilio, WhatsApp Cloud, Telegram, FCM, Web Push,
 * the HTTP email APIs). Each request resolves its host through the outbound guard and connects
 * to the very address it checked (IP literals included, which `lookup` alone would skip), over
 * a keep-alive agent per provider. A provider's `apiBaseUrl` only changes the URL: tests point
 * it at a local server with the production code path unchanged.
 *
 * @example
 *   const client = new HttpClient(outbound);
 *   const res = await client.request({ method: "POST", url: "https://api.twilio.com/…", form: { To, Body } });
 */
export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string | undefined>;
  /** Sent as is (set content-type in headers). */
  body?: Buffer | string;
  /** The whole exchange, connection included (default 10 s). */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: unknown;
}

/** No answer within the time-out: whether the provider acted on the request is unknown. */
export class HttpTimeout extends Error {
  constructor(url: string, ms: number) {
    super(`no answer from ${new URL(url).host} within ${ms} ms`);
    this.name = "HttpTimeout";
  }
}

const MAX_BODY = 1_048_576;

export class HttpClient {
  readonly #agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };

  constructor(
    private readonly outbound: Outbound,
    options: { maxSockets?: number } = {},
  ) {
    if (options.maxSockets) {
      this.#agents.http.maxSockets = options.maxSockets;
      this.#agents.https.maxSockets = options.maxSockets;
    }
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const timeoutMs = req.timeoutMs ?? 10_000;
    const { address, family } = await this.outbound.resolve(url.hostname);
    const headers: Record<string, string> = { "user-agent": "journeys", ...req.headers };
    let payload: Buffer | undefined;
    if (req.json !== undefined) {
      payload = Buffer.from(JSON.stringify(req.json));
      headers["content-type"] ??= "application/json";
    } else if (req.form) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(req.form)) if (v !== undefined) form.append(k, v);
      payload = Buffer.from(form.toString());
      headers["content-type"] ??= "application/x-www-form-urlencoded";
    } else if (req.body !== undefined) {
      payload = Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    }
    if (payload) headers["content-length"] = String(payload.length);
    const secure = url.protocol === "https:";
    const transport = secure ? https : http;
    return new Promise<HttpResponse>((resolve, reject) => {
      const request = transport.request(
        {
          method: req.method,
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
          port: url.port || (secure ? 443 : 80),
          path: `${url.pathname}${url.search}`,
          headers,
          agent: secure ? this.#agents.https : this.#agents.http,
          // The address the guard checked, never a second resolution (DNS rebinding).
          lookup: (_host, opts, callback) => {
            if ((opts as { all?: boolean }).all) callback(null, [{ address, family }] as never);
            else callback(null, address, family);
          },
          ...(secure ? { servername: url.hostname } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_BODY) chunks.push(chunk);
          });
          response.on("end", () => {
            clearTimeout(timer);
            const body = Buffer.concat(chunks).toString("utf8");
            let json: unknown = null;
            try {
              json = body ? JSON.parse(body) : null;
            } catch {}
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body, json });
          });
          response.on("error", (error) => {
            clearTimeout(timer);
            reject(error);
          });
        },
      );
      const timer = setTimeout(() => {
        request.destroy(new HttpTimeout(req.url, timeoutMs));
      }, timeoutMs);
      request.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.end(payload);
    });
  }

  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}

/**
 * Milliseconds a `Retry-After` header asks to wait (seconds or an HTTP date), or null.
 *
 * @example retryAfterMs({ "retry-after": "30" }, Date.now()) // 30000
 */
export function retryAfterMs(headers: IncomingHttpHeaders, now: number): number | null {
  const value = headers["retry-after"];
  if (typeof value !== "string" || value.trim() === "") return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The send result for an HTTP answer that is not a success, by the rule every provider shares:
 * 429 and 5xx (and 408) are worth trying again — not before `Retry-After` when the answer has
 * one — and other 4xx are permanent. `reason` is the provider's own error text, already picked
 * out of its error shape by the provider.
 */
export function failureOf(response: HttpResponse, reason: string, now = Date.now()): SendFailure {
  const wait = retryAfterMs(response.headers, now);
  const message = `${response.status} ${reason}`.trim();
  if (response.status === 429 || response.status === 408 || response.status >= 500) {
    return wait !== null
      ? { ok: false, kind: "retry_after", retryAfterMs: wait, message }
      : { ok: false, kind: "retryable", message };
  }
  return { ok: false, kind: "permanent", message };
}

/**
 * The send result for a request that got no HTTP answer. A refused address is permanent (the
 * set-up must change); a reset, a refused connection or a DNS failure is worth another try. A
 * time-out is too — the outcome is unknown, and the policy (docs/decisions.md) is to try again
 * with the same idempotency key, so a provider that dedupes on it sends once and one that does
 * not may send twice rather than never.
 */
export function networkFailure(error: unknown): SendFailure {
  if (error instanceof OutboundRefused) return { ok: false, kind: "permanent", message: error.message };
  if (error instanceof HttpTimeout)
    return { ok: false, kind: "retryable", message: `${error.message} (outcome unknown)` };
  const code = (error as NodeJS.ErrnoException).code;
  return { ok: false, kind: "retryable", message: code ? `network error ${code}` : "network error" };
}
