import type { PushSubscription } from "../customers/customer";
import type { Outbound } from "../outbound/outbound";
import type { ProviderDefinition, SetupProblem } from "./definition";
import { FCM_API, FcmSender, type FcmSetup, GOOGLE_TOKEN_URL, parseFcm } from "./fcm";
import { HttpClient } from "./http";
import type { ChannelProvider, PushMessage, SendOptions, SendResult } from "./provider";
import { type DeviceOutcome, permanent } from "./push-device";
import {
  encryptedSize,
  generateVapidKeys,
  MAX_PUSH_BODY,
  type Vapid,
  vapidKeyProblems,
  vapidSubjectProblems,
  WebPushSender,
} from "./webpush";

/**
 * The push channel (DESIGN §5 Channel set-up). A business has one push set-up, either
 * - `{ provider: "webpush", subject, fcm? }`: browser subscriptions with VAPID keys made on the
 *   first save (the public key is readable, for the page's `applicationServerKey`), and FCM
 *   device tokens too when `fcm: { projectId, serviceAccount, apiBaseUrl?, tokenUrl? }` is given;
 * - `{ provider: "fcm", projectId, serviceAccount, apiBaseUrl?, tokenUrl? }`: FCM tokens only.
 *
 * A message goes to every subscription of the customer (a few at a time). It is sent when at
 * least one device accepted it — the id is the first accepted one's — and subscriptions the
 * upstream calls gone come back in `gone` for the dispatcher to remove. When no device
 * accepted: retryable if any device's refusal was (not before the longest Retry-After), else
 * permanent.
 *
 * @example
 *   const push = webPushDefinition.create(config, outbound);
 *   await push.send({ channel: "push", to: endpoint, subscriptions, title: "Hi", body: "…" }, { idempotencyKey: "dlv_…" });
 *   // → { ok: true, providerMessageId: "https://push.example.net/message/abc", gone: ["https://…/expired"] }
 */
export interface WebPushConfig {
  subject: string;
  vapidPublicKey: string;
  /** A secret. */
  vapidPrivateKey: string;
  /** FCM beside Web Push; its service account is `fcmServiceAccount` (top level, so it is sealed as a secret). */
  fcm?: Omit<FcmSetup, "serviceAccount">;
  fcmServiceAccount?: string;
}

/** Devices sent to at once, per message. */
const PARALLEL = 6;

export const webPushDefinition: ProviderDefinition<WebPushConfig> = {
  channel: "push",
  name: "webpush",
  secretFields: ["vapidPrivateKey", "fcmServiceAccount"],
  parse(input, existing) {
    const problems: SetupProblem[] = [];
    const known = ["provider", "subject", "fcm", "vapidPublicKey", "vapidPrivateKey"];
    for (const key of Object.keys(input))
      if (!known.includes(key))
        problems.push({ field: key, message: "is not a field of the webpush set-up" });
    problems.push(...vapidSubjectProblems(input.subject));
    const { vapidPublicKey, vapidPrivateKey } = input;
    let keys = existing ? { publicKey: existing.vapidPublicKey, privateKey: existing.vapidPrivateKey } : null;
    // The public key read back and saved again keeps the pair; a new pair is brought in whole.
    const echoed =
      vapidPrivateKey === undefined && (vapidPublicKey === undefined || vapidPublicKey === keys?.publicKey);
    if (!echoed) {
      const wrong = vapidKeyProblems(vapidPublicKey, vapidPrivateKey);
      problems.push(...wrong);
      if (wrong.length === 0)
        keys = { publicKey: vapidPublicKey as string, privateKey: vapidPrivateKey as string };
    }
    let fcm: FcmSetup | null = null;
    if (input.fcm !== undefined && input.fcm !== null) {
      if (typeof input.fcm !== "object" || Array.isArray(input.fcm)) {
        problems.push({
          field: "fcm",
          message: "must be { projectId, serviceAccount, apiBaseUrl?, tokenUrl? }",
        });
      } else {
        const stored =
          existing?.fcm && existing.fcmServiceAccount
            ? { ...existing.fcm, serviceAccount: existing.fcmServiceAccount }
            : null;
        const parsed = parseFcm(input.fcm as Record<string, unknown>, stored, { prefix: "fcm." });
        if (Array.isArray(parsed)) problems.push(...parsed);
        else fcm = parsed;
      }
    }
    if (problems.length > 0) return problems;
    keys ??= generateVapidKeys();
    return {
      subject: input.subject as string,
      vapidPublicKey: keys.publicKey,
      vapidPrivateKey: keys.privateKey,
      ...(fcm ? splitSecret(fcm) : {}),
    };
  },
  redact({ vapidPrivateKey, fcmServiceAccount, fcm, ...rest }) {
    return {
      ...rest,
      vapidPrivateKeySet: typeof vapidPrivateKey === "string" && vapidPrivateKey.length > 0,
      ...(fcm ? { fcm: { ...fcm, serviceAccountSet: typeof fcmServiceAccount === "string" } } : {}),
    };
  },
  outboundHosts: (config) => (config.fcm ? fcmHosts(config.fcm, "fcm.") : []),
  create: (config, outbound) =>
    new PushProvider(
      "webpush",
      {
        vapid: {
          subject: config.subject,
          publicKey: config.vapidPublicKey,
          privateKey: config.vapidPrivateKey,
        },
        ...(config.fcm && config.fcmServiceAccount
          ? { fcm: { ...config.fcm, serviceAccount: config.fcmServiceAccount } }
          : {}),
      },
      outbound,
    ),
};

export const fcmDefinition: ProviderDefinition<FcmSetup> = {
  channel: "push",
  name: "fcm",
  secretFields: ["serviceAccount"],
  parse: (input, existing) => parseFcm(input, existing, { allow: ["provider"] }),
  redact({ serviceAccount, ...rest }) {
    return { ...rest, serviceAccountSet: typeof serviceAccount === "string" && serviceAccount.length > 0 };
  },
  outboundHosts: (config) => fcmHosts(config, ""),
  create: (config, outbound) => new PushProvider("fcm", { fcm: config }, outbound),
};

/** The fcm part as a webpush set-up stores it: the service account beside it, sealed. */
const splitSecret = ({ serviceAccount, ...fcm }: FcmSetup) => ({ fcm, fcmServiceAccount: serviceAccount });

function fcmHosts(fcm: Pick<FcmSetup, "apiBaseUrl" | "tokenUrl">, prefix: string) {
  return [
    { field: `${prefix}apiBaseUrl`, host: new URL(fcm.apiBaseUrl ?? FCM_API).hostname },
    { field: `${prefix}tokenUrl`, host: new URL(fcm.tokenUrl ?? GOOGLE_TOKEN_URL).hostname },
  ];
}

/** Sends a push message to each of the customer's subscriptions, browser ones and FCM tokens. */
export class PushProvider implements ChannelProvider<"push"> {
  readonly channel = "push" as const;
  readonly #client: HttpClient;
  readonly #webPush: WebPushSender | null;
  readonly #fcm: FcmSender | null;

  constructor(
    readonly name: "webpush" | "fcm",
    targets: { vapid?: Vapid; fcm?: FcmSetup },
    outbound: Outbound,
    options: { timeoutMs?: number } = {},
  ) {
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.#client = new HttpClient(outbound);
    this.#webPush = targets.vapid ? new WebPushSender(this.#client, targets.vapid, timeoutMs) : null;
    this.#fcm = targets.fcm ? new FcmSender(this.#client, targets.fcm, timeoutMs) : null;
  }

  async send(message: PushMessage, options: SendOptions): Promise<SendResult> {
    const { title, body, url } = message;
    const payload = JSON.stringify({ title, body, ...(url ? { url } : {}) });
    const size = encryptedSize(Buffer.byteLength(payload));
    if (size > MAX_PUSH_BODY)
      return {
        ok: false,
        kind: "permanent",
        message: `the push message is ${size} bytes encrypted; push services take at most ${MAX_PUSH_BODY} (shorten its title, body or url)`,
      };
    if (message.subscriptions.length === 0)
      return { ok: false, kind: "permanent", message: "the customer has no push subscription" };
    const outcomes = await eachBounded(message.subscriptions, PARALLEL, (s) =>
      this.#sendTo(s, payload, { title, body, ...(url ? { url } : {}) }, options.idempotencyKey),
    );
    return combine(message.subscriptions, outcomes);
  }

  #sendTo(
    s: PushSubscription,
    payload: string,
    notification: { title: string; body: string; url?: string },
    idempotencyKey: string,
  ): Promise<DeviceOutcome> {
    if (s.kind === "fcm") {
      if (!this.#fcm)
        return Promise.resolve(permanent("an FCM token, and the push channel has no FCM set-up"));
      if (!s.token) return Promise.resolve(permanent("an FCM subscription without a token"));
      return this.#fcm.send(s.token, notification);
    }
    if (!this.#webPush)
      return Promise.resolve(
        permanent("a browser subscription, and the push channel is set up for FCM only"),
      );
    if (!s.endpoint || !s.keys)
      return Promise.resolve(permanent("a browser subscription without endpoint or keys"));
    return this.#webPush.send({ endpoint: s.endpoint, keys: s.keys }, payload, idempotencyKey);
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}

/** One send result from every device's outcome (see the module comment). */
function combine(subscriptions: readonly PushSubscription[], outcomes: readonly DeviceOutcome[]): SendResult {
  const gone = subscriptions
    .filter((_, i) => {
      const o = outcomes[i];
      return o && !o.ok && o.gone;
    })
    .map((s) => (s.kind === "fcm" ? s.token : s.endpoint) ?? "");
  const withGone = gone.length > 0 ? { gone } : {};
  const accepted = outcomes.find((o) => o.ok);
  if (accepted) return { ok: true, providerMessageId: accepted.id, ...withGone };
  const failures = outcomes.flatMap((o) => (o.ok ? [] : [o.failure]));
  const message =
    failures.length === 1
      ? failures[0]!.message
      : `no device of ${failures.length} accepted the message: ${[...new Set(failures.map((f) => f.message))].join("; ")}`.slice(
          0,
          500,
        );
  const waits = failures.flatMap((f) => (f.kind === "retry_after" ? [f.retryAfterMs] : []));
  if (waits.length > 0)
    return { ok: false, kind: "retry_after", retryAfterMs: Math.max(...waits), message, ...withGone };
  const kind: "retryable" | "permanent" = failures.some((f) => f.kind === "retryable")
    ? "retryable"
    : "permanent";
  return { ok: false, kind, message, ...withGone };
}

/** `work` on every item, at most `limit` at once, results in the items' order. */
async function eachBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
