import { createECDH, createHash } from "node:crypto";
import webPush from "web-push";
import type { SetupProblem } from "./definition";
import { failureOf, type HttpClient, networkFailure } from "./http";
import { type DeviceOutcome, permanent, shortReason } from "./push-device";

/**
 * Web Push (RFC 8030) to browser subscriptions, with VAPID (RFC 8292) and the payload encrypted
 * for the subscription (RFC 8291, aes128gcm). `web-push` builds each request — the VAPID JWT and
 * the encrypted body — and never opens a connection: the request goes out through the
 * providers' `HttpClient`, so the outbound guard checks every push service a subscription names.
 *
 * A push service answers 201 with the message's URL in `Location` (the provider message id);
 * 404 and 410 mean the subscription is gone; 429 and 5xx are worth another try.
 *
 * @example
 *   const sender = new WebPushSender(client, { subject: "mailto:ops@shop.example", ...keys });
 *   await sender.send({ endpoint, keys: { p256dh, auth } }, '{"title":"Hi"}', "dlv_…");
 *   // → { ok: true, id: "https://push.example.net/message/abc" }
 */
export interface Vapid {
  /** `mailto:` or `https:`: how the push service's operator reaches the sender. */
  subject: string;
  /** The P-256 public key, uncompressed point, base64url (65 bytes): the browser's applicationServerKey. */
  publicKey: string;
  /** The P-256 private key, base64url (32 bytes). */
  privateKey: string;
}

export interface WebPushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** The most a push service must take (RFC 8030 §7.2): the encrypted body, header included. */
export const MAX_PUSH_BODY = 4096;

/** salt 16 + record size 4 + key id length 1 + sender key 65, then the delimiter 1 and the tag 16. */
const AES128GCM_OVERHEAD = 16 + 4 + 1 + 65 + 1 + 16;

/**
 * The size of `plaintext` bytes encrypted as one aes128gcm record, as the push service sees it.
 *
 * @example encryptedSize(100) // 203
 */
export const encryptedSize = (plaintext: number): number => plaintext + AES128GCM_OVERHEAD;

/** How long a push service keeps a message for a device that is offline: a day, then it is stale. */
const TTL_SECONDS = 86_400;

/** A new VAPID key pair (generated when the webpush channel is first saved). */
export function generateVapidKeys(): { publicKey: string; privateKey: string } {
  return webPush.generateVAPIDKeys();
}

/**
 * Problems of a VAPID subject: a `mailto:` address or an `https:` URL (RFC 8292 §2.1).
 *
 * @example vapidSubjectProblems("mailto:ops@shop.example") // []
 */
export function vapidSubjectProblems(subject: unknown, field = "subject"): SetupProblem[] {
  const problem = [{ field, message: 'must be "mailto:" and an address, or an https: URL' }];
  if (typeof subject !== "string" || subject.length > 512) return problem;
  if (/^mailto:[^\s@]+@[^\s@]+\.[^\s@]+$/.test(subject)) return [];
  return URL.canParse(subject) && new URL(subject).protocol === "https:" ? [] : problem;
}

/**
 * Problems of a VAPID key pair brought from elsewhere (so existing browser subscriptions keep
 * working): a P-256 public point and the private key it belongs to, both base64url.
 */
export function vapidKeyProblems(publicKey: unknown, privateKey: unknown): SetupProblem[] {
  const pub = typeof publicKey === "string" ? decode(publicKey) : null;
  const priv = typeof privateKey === "string" ? decode(privateKey) : null;
  if (pub?.length !== 65 || pub[0] !== 4)
    return [{ field: "vapidPublicKey", message: "must be a P-256 public key (65 bytes, base64url)" }];
  if (priv?.length !== 32)
    return [{ field: "vapidPrivateKey", message: "must be a P-256 private key (32 bytes, base64url)" }];
  try {
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(priv);
    if (ecdh.getPublicKey().equals(pub)) return [];
  } catch {}
  return [{ field: "vapidPrivateKey", message: "is not the private key of vapidPublicKey" }];
}

function decode(value: string): Buffer | null {
  return /^[A-Za-z0-9_-]+={0,2}$/.test(value) ? Buffer.from(value, "base64url") : null;
}

/** A VAPID JWT lives 12 hours (push services accept up to 24) and is renewed with an hour left. */
const VAPID_LIFETIME_S = 12 * 3600;
const VAPID_RENEW_S = 3600;

export class WebPushSender {
  /**
   * The VAPID `Authorization` header per push service origin: signing a JWT (ES256) was four
   * fifths of a push's CPU on the sender thread, and one JWT serves every push to that service
   * until it expires.
   */
  readonly #vapidHeaders = new Map<string, { authorization: string; expiresAt: number }>();

  constructor(
    private readonly client: HttpClient,
    private readonly vapid: Vapid,
    private readonly timeoutMs: number,
  ) {}

  #authorization(endpoint: string): string {
    const audience = new URL(endpoint).origin;
    const now = Math.floor(Date.now() / 1000);
    const cached = this.#vapidHeaders.get(audience);
    if (cached && cached.expiresAt - now > VAPID_RENEW_S) return cached.authorization;
    const expiresAt = now + VAPID_LIFETIME_S;
    const { Authorization } = webPush.getVapidHeaders(
      audience,
      this.vapid.subject,
      this.vapid.publicKey,
      this.vapid.privateKey,
      "aes128gcm",
      expiresAt,
    );
    if (this.#vapidHeaders.size >= 100) this.#vapidHeaders.clear();
    this.#vapidHeaders.set(audience, { authorization: String(Authorization), expiresAt });
    return String(Authorization);
  }

  /** Sends `payload` to one subscription; never throws. */
  async send(target: WebPushTarget, payload: string, idempotencyKey: string): Promise<DeviceOutcome> {
    let details: ReturnType<typeof webPush.generateRequestDetails>;
    try {
      details = webPush.generateRequestDetails(target, payload, {
        headers: { Authorization: this.#authorization(target.endpoint) },
        TTL: TTL_SECONDS,
        contentEncoding: "aes128gcm",
        urgency: "normal",
      });
    } catch (error) {
      return permanent(`the push subscription cannot be sent to: ${(error as Error).message}`);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(details.headers))
      if (name.toLowerCase() !== "content-length") headers[name] = String(value);
    let response: Awaited<ReturnType<HttpClient["request"]>>;
    try {
      response = await this.client.request({
        method: "POST",
        url: details.endpoint,
        headers,
        body: details.body ?? Buffer.alloc(0),
        timeoutMs: this.timeoutMs,
      });
    } catch (error) {
      return { ok: false, failure: networkFailure(error), gone: false };
    }
    if (response.status >= 200 && response.status < 300) {
      const location = response.headers.location;
      return {
        ok: true,
        id: typeof location === "string" && location ? location : fallbackId(target, idempotencyKey),
      };
    }
    const gone = response.status === 404 || response.status === 410;
    const reason = gone
      ? "the push subscription is gone (unsubscribed or expired)"
      : `the push service refused the message${detail(response.body)}`;
    return { ok: false, failure: failureOf(response, reason), gone };
  }
}

/** A push service's error text: Mozilla's `{ message }` / `{ error }` JSON, else its first line. */
function detail(body: string): string {
  let text = body;
  try {
    const json = JSON.parse(body) as { message?: unknown; error?: unknown };
    if (typeof json.message === "string") text = json.message;
    else if (typeof json.error === "string") text = json.error;
  } catch {}
  const reason = shortReason(text);
  return reason ? `: ${reason}` : "";
}

/** An id for a push service that answers no Location: distinct per subscription and delivery. */
function fallbackId(target: WebPushTarget, idempotencyKey: string): string {
  const device = createHash("sha256").update(target.endpoint).digest("base64url").slice(0, 16);
  return `webpush:${device}:${idempotencyKey}`;
}
