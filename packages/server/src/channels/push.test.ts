import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Outbound } from "../outbound/outbound";
import { LOCAL_OUTBOUND } from "../testing/outbound";
import { HttpClient } from "./http";
import { providerContract } from "./provider.contract";
import { fcmDefinition, PushProvider, type WebPushConfig, webPushDefinition } from "./push";
import { startTestFcmServer, type TestFcmServer } from "./test-fcm-server";
import {
  type BrowserSubscription,
  pushTo,
  startTestPushService,
  type TestPushService,
  webPushConfig,
} from "./test-push-service";
import { closedPort } from "./test-smtp-server";

/** Reaches the test push service under the name push.test; `nowhere` resolves that name to nothing. */
const reach = new Outbound({ allowPrivateNetwork: true, resolveHost: async () => ["127.0.0.1"] });
const nowhere = new Outbound({
  allowPrivateNetwork: true,
  resolveHost: async (host) => {
    throw Object.assign(new Error(`${host} does not resolve`), { code: "ENOTFOUND" });
  },
});

providerContract<"push">("webpush", async () => {
  const service = await startTestPushService({ host: "push.test" });
  const config = webPushConfig();
  const subs = [0, 1].map(() => service.subscribe({ applicationServerKey: config.vapidPublicKey }));
  return {
    provider: webPushDefinition.create(config, reach) as PushProvider,
    // The push service's host name no longer resolves: a browser's push service gone dark.
    unreachable: webPushDefinition.create(config, nowhere) as PushProvider,
    message: (to) => pushTo(subs.filter((s) => s.endpoint === to)),
    upstreamDedupes: false,
    addresses: [subs[0]!.endpoint, subs[1]!.endpoint],
    accepted: () => service.received.length,
    refuseTemporarily: () => service.failNext(503),
    refusePermanently: () => service.failNext(400),
    tearDown: () => service.close(),
  };
});

providerContract<"push">("fcm", async () => {
  const fcm = await startTestFcmServer();
  const setup = { provider: "fcm", projectId: fcm.projectId, serviceAccount: fcm.serviceAccount };
  const parse = (urls: { apiBaseUrl: string; tokenUrl: string }) => {
    const parsed = fcmDefinition.parse({ ...setup, ...urls }, null);
    assert.ok(!Array.isArray(parsed), JSON.stringify(parsed));
    return parsed;
  };
  const dead = `http://127.0.0.1:${await closedPort()}`;
  const tokens = [fcm.register(), fcm.register()] as [string, string];
  return {
    provider: fcmDefinition.create(
      parse({ apiBaseUrl: fcm.apiBaseUrl, tokenUrl: fcm.tokenUrl }),
      LOCAL_OUTBOUND,
    ) as PushProvider,
    unreachable: fcmDefinition.create(
      parse({ apiBaseUrl: dead, tokenUrl: `${dead}/token` }),
      LOCAL_OUTBOUND,
    ) as PushProvider,
    message: (to) => pushTo([{ kind: "fcm", token: to }]),
    upstreamDedupes: false,
    addresses: tokens,
    accepted: () => fcm.messages.length,
    refuseTemporarily: () => fcm.failNext({ status: 503, errorCode: "UNAVAILABLE" }),
    refusePermanently: () => fcm.failNext({ status: 403, errorCode: "SENDER_ID_MISMATCH" }),
    tearDown: () => fcm.close(),
  };
});

describe("web push provider", () => {
  let service: TestPushService;
  let config: WebPushConfig;
  let push: PushProvider;
  const subscribe = () => service.subscribe({ applicationServerKey: config.vapidPublicKey });
  before(async () => {
    service = await startTestPushService();
    config = webPushConfig();
    push = new PushProvider(
      "webpush",
      {
        vapid: {
          subject: config.subject,
          publicKey: config.vapidPublicKey,
          privateKey: config.vapidPrivateKey,
        },
      },
      LOCAL_OUTBOUND,
      { timeoutMs: 300 },
    );
  });
  after(async () => {
    await push.close();
    await service.close();
  });

  it("encrypts the payload for the subscription and signs VAPID for the push service's origin", async () => {
    const sub = subscribe();
    const result = await push.send(pushTo([sub]), { idempotencyKey: "dlv_wp_1" });
    assert.equal(result.ok, true, JSON.stringify(result));
    const last = service.received.at(-1)!;
    assert.equal(result.ok && result.providerMessageId.startsWith(`${service.origin}/message/`), true);
    assert.equal(last.endpoint, sub.endpoint);
    assert.deepEqual(last.payload, {
      title: "Your order shipped",
      body: "It arrives on Friday.",
      url: "https://shop.example/orders/1",
    });
    assert.equal(last.headers.ttl, "86400");
    assert.equal(last.headers.urgency, "normal");
    assert.match(String(last.headers.authorization), new RegExp(`^vapid t=.+, k=${config.vapidPublicKey}$`));
  });

  it("sends to every device: one gone (410) still sends, and comes back in gone", async () => {
    const [a, b, c] = [subscribe(), subscribe(), subscribe()];
    service.expire(a.endpoint, 410);
    const before = service.received.length;
    const result = await push.send(pushTo([a, b, c]), { idempotencyKey: "dlv_wp_multi" });
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.gone, [a.endpoint]);
    const got = service.received.slice(before).map((m) => m.endpoint);
    assert.deepEqual(got.sort(), [b.endpoint, c.endpoint].sort());
  });

  it("fails for good when every device is gone, naming them all", async () => {
    const [a, b] = [subscribe(), subscribe()];
    service.expire(a.endpoint, 404);
    service.expire(b.endpoint, 410);
    const result = await push.send(pushTo([a, b]), { idempotencyKey: "dlv_wp_gone" });
    assert.ok(!result.ok && result.kind === "permanent", JSON.stringify(result));
    assert.deepEqual(result.gone, [a.endpoint, b.endpoint]);
    assert.match(result.message, /no device of 2 accepted the message: 404 .*gone.*; 410 /);
  });

  it("retries when no device accepted and one refusal was temporary, still naming the gone one", async () => {
    const [a, b] = [subscribe(), subscribe()];
    service.expire(a.endpoint);
    service.failNext(503, { "retry-after": "120" });
    const result = await push.send(pushTo([a, b]), { idempotencyKey: "dlv_wp_mixed" });
    assert.ok(!result.ok && result.kind === "retry_after", JSON.stringify(result));
    assert.equal(result.retryAfterMs, 120_000);
    assert.deepEqual(result.gone, [a.endpoint]);
  });

  it("refuses a payload over 4096 bytes encrypted before sending anything", async () => {
    const before = service.received.length + service.refused.length;
    const result = await push.send(pushTo([subscribe()], { body: "x".repeat(4000) }), {
      idempotencyKey: "dlv_big",
    });
    assert.ok(!result.ok && result.kind === "permanent", JSON.stringify(result));
    assert.match(result.message, /push services take at most 4096/);
    assert.equal(service.received.length + service.refused.length, before);
    const fits = await push.send(pushTo([subscribe()], { body: "x".repeat(3900), url: undefined }), {
      idempotencyKey: "dlv_fits",
    });
    assert.equal(fits.ok, true, JSON.stringify(fits));
  });

  it("is refused (403, permanent) by a subscription made for another application server key", async () => {
    const other = webPushConfig();
    const sub = service.subscribe({ applicationServerKey: other.vapidPublicKey });
    const result = await push.send(pushTo([sub]), { idempotencyKey: "dlv_wp_key" });
    assert.ok(!result.ok && result.kind === "permanent", JSON.stringify(result));
    assert.match(result.message, /^403 the push service refused the message: k is not the subscription's/);
    assert.equal(result.gone, undefined);
  });

  it("answers each upstream fault as the policy says, never throwing", async () => {
    const cases: Array<[number | "hang" | "reset", Record<string, string>, string]> = [
      [500, {}, "retryable"],
      [503, { "retry-after": "30" }, "retry_after:30000"],
      [429, { "retry-after": "7" }, "retry_after:7000"],
      [429, {}, "retryable"],
      ["hang", {}, "retryable"],
      ["reset", {}, "retryable"],
    ];
    for (const [fault, headers, expected] of cases) {
      service.failNext(fault, headers);
      const result = await push.send(pushTo([subscribe()]), { idempotencyKey: `dlv_fault_${fault}` });
      const got = result.ok
        ? "ok"
        : result.kind === "retry_after"
          ? `retry_after:${result.retryAfterMs}`
          : result.kind;
      assert.equal(got, expected, `${fault}: ${JSON.stringify(result)}`);
    }
  });

  it("the test service itself refuses a push without valid VAPID, or that it cannot decrypt", async () => {
    const sub = subscribe();
    const client = new HttpClient(LOCAL_OUTBOUND);
    const post = (headers: Record<string, string>) =>
      client.request({
        method: "POST",
        url: sub.endpoint,
        headers: { ttl: "60", ...headers },
        body: Buffer.alloc(120, 1),
      });
    assert.equal((await post({})).status, 401);
    assert.equal((await post({ authorization: `vapid t=a.b.c, k=${config.vapidPublicKey}` })).status, 403);
    // A real VAPID header from the provider's path, over an undecryptable body: 400.
    const signed = await push.send(pushTo([sub]), { idempotencyKey: "dlv_wp_probe" });
    assert.ok(signed.ok);
    const authorization = String(service.received.at(-1)!.headers.authorization);
    const garbage = await post({ authorization, "content-encoding": "aes128gcm" });
    assert.equal(garbage.status, 400);
    assert.match(service.refused.at(-1)!.why, /cannot decrypt/);
    client.close();
  });

  it("refuses a device its set-up cannot reach: an FCM token without FCM", async () => {
    const result = await push.send(pushTo([{ kind: "fcm", token: "a:b" }]), { idempotencyKey: "dlv_no_fcm" });
    assert.ok(!result.ok && result.kind === "permanent");
    assert.match(result.message, /has no FCM set-up/);
  });
});

describe("fcm beside web push (one webpush set-up with an fcm part)", () => {
  let service: TestPushService;
  let fcm: TestFcmServer;
  before(async () => {
    service = await startTestPushService();
    fcm = await startTestFcmServer();
  });
  after(async () => {
    await service.close();
    await fcm.close();
  });

  it("routes each subscription to its service and answers the first accepted id", async () => {
    const config = webPushConfig({
      fcm: {
        projectId: fcm.projectId,
        serviceAccount: fcm.serviceAccount,
        apiBaseUrl: fcm.apiBaseUrl,
        tokenUrl: fcm.tokenUrl,
      },
    });
    const push = webPushDefinition.create(config, LOCAL_OUTBOUND);
    const browser: BrowserSubscription = service.subscribe({ applicationServerKey: config.vapidPublicKey });
    const token = fcm.register();
    const gone = fcm.register();
    fcm.unregister(gone);
    const result = await push.send(pushTo([{ kind: "fcm", token }, browser, { kind: "fcm", token: gone }]), {
      idempotencyKey: "dlv_mixed",
    });
    assert.ok(result.ok, JSON.stringify(result));
    assert.match(result.providerMessageId, new RegExp(`^projects/${fcm.projectId}/messages/`));
    assert.deepEqual(result.gone, [gone]);
    assert.equal(fcm.messages.at(-1)?.token, token);
    assert.equal(service.received.at(-1)?.endpoint, browser.endpoint);
    await push.close();
  });

  it("an fcm set-up refuses browser subscriptions", async () => {
    const parsed = fcmDefinition.parse(
      {
        provider: "fcm",
        projectId: fcm.projectId,
        serviceAccount: fcm.serviceAccount,
        apiBaseUrl: fcm.apiBaseUrl,
        tokenUrl: fcm.tokenUrl,
      },
      null,
    );
    assert.ok(!Array.isArray(parsed));
    const push = fcmDefinition.create(parsed, LOCAL_OUTBOUND);
    const result = await push.send(pushTo([service.subscribe()]), { idempotencyKey: "dlv_fcm_only" });
    assert.ok(!result.ok && result.kind === "permanent");
    assert.match(result.message, /set up for FCM only/);
    await push.close();
  });
});
