import assert from "node:assert/strict";
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  hkdfSync,
  randomBytes,
  randomUUID,
  verify,
} from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { PushSubscription } from "../customers/customer";
import type { PushMessage } from "./provider";
import { type WebPushConfig, webPushDefinition } from "./push";

/**
 * A Web Push service on 127.0.0.1 for tests, written from the RFCs (and not with `web-push`, so
 * it checks the client rather than agreeing with it):
 * - `subscribe()` is what a browser's `pushManager.subscribe()` gets: a P-256 key pair and a
 *   16-byte auth secret made here, and the endpoint `http://{host}:{port}/push/{id}`;
 * - a push (`POST /push/{id}`, RFC 8030 §5) must carry `Authorization: vapid t=<JWT>, k=<key>`
 *   (RFC 8292): an ES256 JWT signed by `k`, `aud` this service's origin, `exp` within 24 hours,
 *   a `sub` — absent 401, invalid 403, and 403 for a key other than the subscription's
 *   applicationServerKey;
 * - the body is decrypted as RFC 8291 aes128gcm (RFC 8188 record, one only) and recorded; the
 *   answer is 201 with the message's URL in `Location`.
 * A subscription can be made gone (404/410, whatever else happens), and the next push to a live
 * one answered with any status (429 + Retry-After, 500, …), left hanging, or reset.
 *
 * @example
 *   const service = await startTestPushService();
 *   const sub = service.subscribe({ applicationServerKey: vapidPublicKey });
 *   … send to sub …
 *   service.received[0].payload // { title: "Hi", body: "…" }
 */
export interface TestPushService {
  origin: string;
  /** Every push decrypted and accepted, in order. */
  received: Array<{ endpoint: string; payload: unknown; headers: IncomingMessage["headers"] }>;
  /** Pushes refused, with the status answered and why. */
  refused: Array<{ endpoint: string; status: number; why: string }>;
  subscribe(options?: { applicationServerKey?: string }): BrowserSubscription;
  /** The subscription answers `status` (404 or 410) from now on. */
  expire(endpoint: string, status?: 404 | 410): void;
  /** The next push gets `status` (with `headers`, e.g. Retry-After), or hangs, or has its connection reset. */
  failNext(fault: number | "hang" | "reset", headers?: Record<string, string>): void;
  close(): Promise<void>;
}

/** A subscription as the browser's `PushSubscription.toJSON()` gives it, and as the customer stores it. */
export type BrowserSubscription = Required<Pick<PushSubscription, "endpoint" | "keys">> & { kind: "webpush" };

interface Subscriber {
  ecdh: ReturnType<typeof createECDH>;
  auth: Buffer;
  applicationServerKey?: string;
  gone?: number;
}

export async function startTestPushService(options: { host?: string } = {}): Promise<TestPushService> {
  const subscribers = new Map<string, Subscriber>();
  const received: TestPushService["received"] = [];
  const refused: TestPushService["refused"] = [];
  const faults: Array<{ fault: number | "hang" | "reset"; headers: Record<string, string> }> = [];
  let origin = "";

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const endpoint = `${origin}${req.url}`;
      const refuse = (status: number, why: string, headers: Record<string, string> = {}) => {
        refused.push({ endpoint, status, why });
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify({ code: status, error: why, message: why }));
      };
      const id = /^\/push\/([\w-]+)$/.exec(req.url ?? "")?.[1];
      const subscriber = id ? subscribers.get(id) : undefined;
      if (req.method !== "POST" || !subscriber) return refuse(404, "no such subscription");
      if (subscriber.gone) return refuse(subscriber.gone, "subscription expired or unsubscribed");
      const fault = faults.shift();
      if (fault?.fault === "hang") return;
      if (fault?.fault === "reset") return req.socket.destroy();
      if (fault) return refuse(fault.fault, "injected failure", fault.headers);
      const auth = checkVapid(req.headers.authorization, origin, subscriber);
      if (auth) return refuse(auth.status, auth.why);
      const body = Buffer.concat(chunks);
      if (body.length > 4096) return refuse(413, "payload too large");
      if (req.headers["content-encoding"] !== "aes128gcm")
        return refuse(415, "content-encoding must be aes128gcm");
      if (!/^\d+$/.test(String(req.headers.ttl ?? ""))) return refuse(400, "a TTL header is required");
      let payload: unknown;
      try {
        payload = JSON.parse(decrypt(body, subscriber).toString("utf8"));
      } catch (error) {
        return refuse(400, `cannot decrypt: ${(error as Error).message}`);
      }
      received.push({ endpoint, payload, headers: req.headers });
      res.writeHead(201, { location: `${origin}/message/${randomUUID()}` }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://${options.host ?? "127.0.0.1"}:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    received,
    refused,
    subscribe(subscribeOptions = {}) {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const id = randomUUID();
      const auth = randomBytes(16);
      subscribers.set(id, { ecdh, auth, ...subscribeOptions });
      return {
        kind: "webpush",
        endpoint: `${origin}/push/${id}`,
        keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") },
      };
    },
    expire(endpoint, status = 410) {
      const subscriber = subscribers.get(endpoint.split("/").at(-1) ?? "");
      if (subscriber) subscriber.gone = status;
    },
    failNext(fault, headers = {}) {
      faults.push({ fault, headers });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Why a push's VAPID authorization is refused (RFC 8292 §3–4), or null when it holds. */
function checkVapid(
  header: string | undefined,
  origin: string,
  subscriber: Subscriber,
): { status: number; why: string } | null {
  const params = /^vapid\s+(.*)$/i.exec(header ?? "")?.[1];
  if (!params) return { status: 401, why: "vapid authorization required" };
  const fields = new Map<string, string>();
  for (const part of params.split(",")) {
    const [name, ...value] = part.trim().split("=");
    fields.set(name!.trim(), value.join("=").trim());
  }
  const t = fields.get("t") ?? "";
  const k = fields.get("k") ?? "";
  const key = Buffer.from(k, "base64url");
  if (key.length !== 65 || key[0] !== 4) return { status: 403, why: "k is not a P-256 public key" };
  if (subscriber.applicationServerKey && subscriber.applicationServerKey !== k)
    return { status: 403, why: "k is not the subscription's applicationServerKey" };
  const [head, body, signature] = t.split(".");
  if (!head || !body || !signature) return { status: 403, why: "t is not a JWT" };
  let claims: { aud?: unknown; exp?: unknown; sub?: unknown };
  try {
    const jose = JSON.parse(Buffer.from(head, "base64url").toString()) as { alg?: unknown };
    if (jose.alg !== "ES256") return { status: 403, why: "the JWT must be ES256" };
    claims = JSON.parse(Buffer.from(body, "base64url").toString());
  } catch {
    return { status: 403, why: "t is not a JWT" };
  }
  const publicKey = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: b64(key.subarray(1, 33)), y: b64(key.subarray(33)) },
    format: "jwk",
  });
  const valid = verify(
    "sha256",
    Buffer.from(`${head}.${body}`),
    { key: publicKey, dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url"),
  );
  if (!valid) return { status: 403, why: "the JWT signature does not verify with k" };
  const now = Date.now() / 1000;
  if (claims.aud !== origin) return { status: 403, why: `aud must be ${origin}` };
  if (typeof claims.exp !== "number" || claims.exp <= now || claims.exp > now + 86_400)
    return { status: 403, why: "exp must be in the next 24 hours" };
  if (typeof claims.sub !== "string" || !/^(mailto:|https:)/.test(claims.sub))
    return { status: 403, why: "sub must be a mailto: or https: contact" };
  return null;
}

const b64 = (bytes: Buffer) => bytes.toString("base64url");

/**
 * RFC 8291 §3.4 and RFC 8188 §2: the header (salt 16, record size 4, key id length 1, key id =
 * the sender's ephemeral public key), the keys derived from the ECDH secret and the auth
 * secret, then AES-128-GCM over the one record, whose plaintext ends in the delimiter 0x02 and
 * zero padding.
 */
function decrypt(body: Buffer, subscriber: Subscriber): Buffer {
  if (body.length < 21) throw new Error("too short for an aes128gcm header");
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  if (idLength !== 65) throw new Error("the key id must be the sender's 65-byte public key");
  const senderPublic = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  if (record.length > recordSize || record.length < 17)
    throw new Error("one record, of at most the record size");
  const ecdhSecret = subscriber.ecdh.computeSecret(senderPublic);
  const keyInfo = Buffer.concat([
    Buffer.from("WebPush: info\0"),
    subscriber.ecdh.getPublicKey(),
    senderPublic,
  ]);
  const ikm = Buffer.from(hkdfSync("sha256", ecdhSecret, subscriber.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("the last record must end with the delimiter 0x02");
  return padded.subarray(0, end);
}

/** A push message to these subscriptions, as the dispatcher builds it. */
export const pushTo = (
  subscriptions: PushSubscription[],
  fields: Partial<PushMessage> = {},
): PushMessage => ({
  channel: "push",
  to: subscriptions[0]?.endpoint ?? subscriptions[0]?.token ?? "",
  subscriptions,
  title: "Your order shipped",
  body: "It arrives on Friday.",
  url: "https://shop.example/orders/1",
  ...fields,
});

/** A webpush set-up as saved (keys generated). */
export function webPushConfig(fields: Record<string, unknown> = {}): WebPushConfig {
  const parsed = webPushDefinition.parse(
    { provider: "webpush", subject: "mailto:ops@shop.example", ...fields },
    null,
  );
  assert.ok(!Array.isArray(parsed), JSON.stringify(parsed));
  return parsed;
}
