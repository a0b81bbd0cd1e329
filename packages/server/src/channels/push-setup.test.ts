import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, expect } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { fcmDefinition, webPushDefinition } from "./push";
import { findChannelSetup } from "./setup";
import { fcmSetupInput, startTestFcmServer, type TestFcmServer } from "./test-fcm-server";
import { webPushConfig } from "./test-push-service";

describe("push set-up", () => {
  let google: TestFcmServer;
  before(async () => {
    google = await startTestFcmServer();
  });
  after(() => google.close());
  const problemFields = (parsed: unknown) => {
    assert.ok(Array.isArray(parsed), JSON.stringify(parsed));
    return parsed.map((p: { field: string }) => p.field).sort();
  };

  it("webpush: names every wrong field", () => {
    const parsed = webPushDefinition.parse(
      { provider: "webpush", subject: "ops@shop.example", extra: 1, fcm: { projectId: "X", nope: true } },
      null,
    );
    assert.deepEqual(problemFields(parsed), [
      "extra",
      "fcm.nope",
      "fcm.projectId",
      "fcm.serviceAccount",
      "subject",
    ]);
    for (const subject of ["mailto:ops@shop.example", "https://shop.example/contact"])
      assert.ok(!Array.isArray(webPushDefinition.parse({ provider: "webpush", subject }, null)), subject);
    assert.deepEqual(
      problemFields(webPushDefinition.parse({ provider: "webpush", subject: "http://x.test" }, null)),
      ["subject"],
    );
  });

  it("webpush: generates VAPID keys once, keeps them on later saves, shows only the public key", () => {
    const first = webPushConfig();
    assert.equal(Buffer.from(first.vapidPublicKey, "base64url").length, 65);
    const again = webPushDefinition.parse({ provider: "webpush", subject: "https://shop.example/" }, first);
    assert.ok(!Array.isArray(again));
    assert.equal(again.vapidPublicKey, first.vapidPublicKey);
    assert.equal(again.vapidPrivateKey, first.vapidPrivateKey);
    // The public key read back and saved with the rest keeps the pair too.
    const echoed = webPushDefinition.parse(
      { provider: "webpush", subject: first.subject, vapidPublicKey: first.vapidPublicKey },
      first,
    );
    assert.ok(
      !Array.isArray(echoed) && echoed.vapidPrivateKey === first.vapidPrivateKey,
      JSON.stringify(echoed),
    );
    const shown = webPushDefinition.redact(first);
    assert.deepEqual(shown, {
      subject: "mailto:ops@shop.example",
      vapidPublicKey: first.vapidPublicKey,
      vapidPrivateKeySet: true,
    });
    assert.notEqual(webPushConfig().vapidPublicKey, first.vapidPublicKey, "each business its own pair");
  });

  it("webpush: takes a key pair brought from elsewhere, only when the private key is the public key's", () => {
    const other = webPushConfig();
    const brought = webPushConfig({
      vapidPublicKey: other.vapidPublicKey,
      vapidPrivateKey: other.vapidPrivateKey,
    });
    assert.equal(brought.vapidPrivateKey, other.vapidPrivateKey);
    const mismatch = webPushDefinition.parse(
      {
        provider: "webpush",
        subject: "mailto:ops@shop.example",
        vapidPublicKey: other.vapidPublicKey,
        vapidPrivateKey: webPushConfig().vapidPrivateKey,
      },
      null,
    );
    assert.deepEqual(mismatch, [
      { field: "vapidPrivateKey", message: "is not the private key of vapidPublicKey" },
    ]);
    const half = webPushDefinition.parse(
      { provider: "webpush", subject: "mailto:ops@shop.example", vapidPublicKey: other.vapidPublicKey },
      null,
    );
    assert.deepEqual(problemFields(half), ["vapidPrivateKey"]);
  });

  it("webpush with fcm: the service account is a secret, kept only for the same project and URLs", () => {
    const { provider: _p, ...fcm } = fcmSetupInput(google);
    const config = webPushConfig({ fcm });
    assert.equal(typeof config.fcmServiceAccount, "string");
    const shown = webPushDefinition.redact(config);
    assert.deepEqual(shown.fcm, {
      projectId: google.projectId,
      clientEmail: google.serviceAccount.client_email,
      apiBaseUrl: google.apiBaseUrl,
      tokenUrl: google.tokenUrl,
      serviceAccountSet: true,
    });
    assert.ok(!JSON.stringify(shown).includes("PRIVATE KEY"));
    const { serviceAccount: _s, ...withoutKey } = fcm;
    const kept = webPushDefinition.parse(
      { provider: "webpush", subject: config.subject, fcm: withoutKey },
      config,
    );
    assert.ok(!Array.isArray(kept) && kept.fcmServiceAccount === config.fcmServiceAccount);
    const moved = webPushDefinition.parse(
      {
        provider: "webpush",
        subject: config.subject,
        fcm: { ...withoutKey, tokenUrl: "https://evil.example/token" },
      },
      config,
    );
    assert.deepEqual(moved, [
      {
        field: "fcm.serviceAccount",
        message: "must be sent again: the projectId, apiBaseUrl or tokenUrl changed",
      },
    ]);
    assert.deepEqual(webPushDefinition.outboundHosts(config), [
      { field: "fcm.apiBaseUrl", host: "127.0.0.1" },
      { field: "fcm.tokenUrl", host: "127.0.0.1" },
    ]);
  });

  it("fcm: checks the service account key file and shows only that one is set", () => {
    const base = fcmSetupInput(google);
    const bad = (serviceAccount: unknown) => fcmDefinition.parse({ ...base, serviceAccount }, null);
    for (const account of [
      "not json",
      { ...google.serviceAccount, type: "user" },
      {
        ...google.serviceAccount,
        private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      },
      { ...google.serviceAccount, client_email: undefined },
    ])
      assert.deepEqual(problemFields(bad(account)), ["serviceAccount"], JSON.stringify(account).slice(0, 60));
    assert.deepEqual(problemFields(fcmDefinition.parse({ provider: "fcm", projectId: "Bad_Id" }, null)), [
      "projectId",
      "serviceAccount",
    ]);
    const parsed = fcmDefinition.parse(base, null);
    assert.ok(!Array.isArray(parsed));
    const shown = fcmDefinition.redact(parsed);
    assert.deepEqual(shown, {
      projectId: google.projectId,
      clientEmail: google.serviceAccount.client_email,
      apiBaseUrl: google.apiBaseUrl,
      tokenUrl: google.tokenUrl,
      serviceAccountSet: true,
    });
    const defaults = fcmDefinition.parse({ ...base, apiBaseUrl: undefined, tokenUrl: undefined }, null);
    assert.ok(!Array.isArray(defaults));
    assert.deepEqual(fcmDefinition.outboundHosts(defaults), [
      { field: "apiBaseUrl", host: "fcm.googleapis.com" },
      { field: "tokenUrl", host: "oauth2.googleapis.com" },
    ]);
  });
});

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] push set-up API`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);

    it("never returns the VAPID private key; the public key stays across saves", async () => {
      const put = await api(ctx, ctx.alpha, "PUT", "/channels/push", {
        provider: "webpush",
        subject: "mailto:ops@alpha.test",
      }).then(expect(200));
      assert.equal(put.vapidPrivateKeySet, true);
      const stored = await findChannelSetup(ctx.resources, ctx.alpha.businessId, "push");
      const privateKey = String(stored?.config.vapidPrivateKey);
      assert.equal(stored?.config.vapidPublicKey, put.vapidPublicKey);
      const again = await api(ctx, ctx.alpha, "PUT", "/channels/push", {
        provider: "webpush",
        subject: "https://alpha.test/contact",
      }).then(expect(200));
      const list = await api(ctx, ctx.alpha, "GET", "/channels").then(expect(200));
      const one = await api(ctx, ctx.alpha, "GET", "/channels/push").then(expect(200));
      assert.equal(again.vapidPublicKey, put.vapidPublicKey);
      assert.equal(one.vapidPublicKey, put.vapidPublicKey);
      for (const body of [put, again, list, one])
        assert.ok(!JSON.stringify(body).includes(privateKey), "the private key never leaves");
      const row = await ctx.store.db
        .selectFrom("channels")
        .select("config")
        .where("channel", "=", "push")
        .executeTakeFirst();
      assert.ok(row && !String(row.config).includes(privateKey), "it is sealed at rest");
      // Another business gets its own pair.
      const beta = await api(ctx, ctx.beta, "PUT", "/channels/push", {
        provider: "webpush",
        subject: "mailto:ops@beta.test",
      }).then(expect(200));
      assert.notEqual(beta.vapidPublicKey, put.vapidPublicKey);
      const wrong = await api(ctx, ctx.alpha, "PUT", "/channels/push", {
        provider: "webpush",
        subject: "x",
      }).then(expect(400));
      assert.deepEqual(wrong.error.details.fields, [
        { field: "subject", message: 'must be "mailto:" and an address, or an https: URL' },
      ]);
    });
  });
}
