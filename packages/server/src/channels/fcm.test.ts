import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { LOCAL_OUTBOUND } from "../testing/outbound";
import { FcmSender, type FcmSetup } from "./fcm";
import { HttpClient } from "./http";
import { fcmDefinition, PushProvider } from "./push";
import { fcmSetupInput, startTestFcmServer, type TestFcmServer } from "./test-fcm-server";
import { pushTo } from "./test-push-service";

describe("fcm provider", () => {
  let fcm: TestFcmServer;
  let setup: FcmSetup;
  let push: PushProvider;
  before(async () => {
    fcm = await startTestFcmServer();
    // The key file's text, as a form would send it.
    const input = { ...fcmSetupInput(fcm), serviceAccount: JSON.stringify(fcm.serviceAccount) };
    const parsed = fcmDefinition.parse(input, null);
    assert.ok(!Array.isArray(parsed), JSON.stringify(parsed));
    setup = parsed;
    push = new PushProvider("fcm", { fcm: setup }, LOCAL_OUTBOUND, { timeoutMs: 300 });
  });
  after(async () => {
    await push.close();
    await fcm.close();
  });
  const toDevice = (token: string, key: string) =>
    push.send(pushTo([{ kind: "fcm", token }]), { idempotencyKey: key });

  it("signs in once with the service account and sends the notification, link and data", async () => {
    const token = fcm.register();
    const issued = fcm.tokensIssued();
    for (const key of ["dlv_f1", "dlv_f2", "dlv_f3"]) {
      const result = await toDevice(token, key);
      assert.ok(result.ok, JSON.stringify(result));
      assert.match(result.providerMessageId, new RegExp(`^projects/${fcm.projectId}/messages/0:`));
    }
    assert.equal(fcm.tokensIssued(), issued + 1, "the access token is kept between sends");
    assert.deepEqual(fcm.messages.at(-1)?.message, {
      token,
      notification: { title: "Your order shipped", body: "It arrives on Friday." },
      data: { url: "https://shop.example/orders/1" },
      webpush: { fcm_options: { link: "https://shop.example/orders/1" } },
    });
  });

  it("fetches a new access token once when FCM refuses the old one (401)", async () => {
    const token = fcm.register();
    await toDevice(token, "dlv_f_warm");
    const issued = fcm.tokensIssued();
    fcm.revokeAccessTokens();
    const result = await toDevice(token, "dlv_f_401");
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(fcm.tokensIssued(), issued + 1);
  });

  it("renews the access token a minute before it expires", async () => {
    let now = Date.now();
    const google = await startTestFcmServer({ now: () => now });
    const parsed = fcmDefinition.parse(fcmSetupInput(google), null);
    assert.ok(!Array.isArray(parsed));
    const client = new HttpClient(LOCAL_OUTBOUND);
    const sender = new FcmSender(client, parsed, 1000, () => now);
    const token = google.register();
    const notification = { title: "t", body: "b" };
    assert.ok((await sender.send(token, notification)).ok);
    now += (3599 - 61) * 1000;
    assert.ok((await sender.send(token, notification)).ok);
    assert.equal(google.tokensIssued(), 1, "still fresh");
    now += 2000;
    assert.ok((await sender.send(token, notification)).ok);
    assert.equal(google.tokensIssued(), 2, "renewed");
    client.close();
    await google.close();
  });

  it("puts UNREGISTERED and invalid tokens in gone, permanently", async () => {
    const stale = fcm.register();
    fcm.unregister(stale);
    const unregistered = await toDevice(stale, "dlv_f_unreg");
    assert.ok(!unregistered.ok && unregistered.kind === "permanent", JSON.stringify(unregistered));
    assert.deepEqual(unregistered.gone, [stale]);
    assert.match(unregistered.message, /^404 FCM refused the message \(UNREGISTERED: /);
    const invalid = await toDevice("not a token", "dlv_f_invalid");
    assert.ok(!invalid.ok && invalid.kind === "permanent");
    assert.deepEqual(invalid.gone, ["not a token"]);
  });

  it("keeps a token refused for another sender (SENDER_ID_MISMATCH): permanent, not gone", async () => {
    fcm.failNext({ status: 403, errorCode: "SENDER_ID_MISMATCH" });
    const result = await toDevice(fcm.register(), "dlv_f_sender");
    assert.ok(!result.ok && result.kind === "permanent");
    assert.equal(result.gone, undefined);
  });

  it("answers each upstream fault as the policy says, never throwing", async () => {
    const cases: Array<[Parameters<TestFcmServer["failNext"]>[0], string]> = [
      [{ status: 500, errorCode: "INTERNAL" }, "retryable"],
      [{ status: 503, errorCode: "UNAVAILABLE", headers: { "retry-after": "30" } }, "retry_after:30000"],
      [{ status: 429, errorCode: "QUOTA_EXCEEDED", headers: { "retry-after": "60" } }, "retry_after:60000"],
      [{ status: 429, errorCode: "QUOTA_EXCEEDED" }, "retryable"],
      ["hang", "retryable"],
      ["reset", "retryable"],
    ];
    const token = fcm.register();
    for (const [fault, expected] of cases) {
      fcm.failNext(fault);
      const result = await toDevice(token, "dlv_f_fault");
      const got = result.ok
        ? "ok"
        : result.kind === "retry_after"
          ? `retry_after:${result.retryAfterMs}`
          : result.kind;
      assert.equal(got, expected, `${JSON.stringify(fault)}: ${JSON.stringify(result)}`);
    }
  });

  it("retries, asking to check the set-up, when the token endpoint refuses the key", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const forged = {
      ...setup,
      serviceAccount: JSON.stringify({
        ...fcm.serviceAccount,
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      }),
    };
    const provider = new PushProvider("fcm", { fcm: forged }, LOCAL_OUTBOUND);
    const result = await provider.send(pushTo([{ kind: "fcm", token: fcm.register() }]), {
      idempotencyKey: "dlv_f_key",
    });
    assert.ok(!result.ok && result.kind === "retryable", JSON.stringify(result));
    assert.match(result.message, /invalid_grant: Invalid JWT Signature\..*check the fcm set-up/);
    await provider.close();
  });
});
