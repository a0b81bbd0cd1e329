import assert from "node:assert/strict";
import { createECDH, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import type { BusinessCredentials } from "../../accounts/bootstrap";
import { putChannel } from "../../channels/setup";
import { toCustomer } from "../../customers/customer";
import { MAX_PUSH_SUBSCRIPTIONS, readPushSubscription } from "../../customers/push-subscriptions";
import { DIALECTS } from "../../testing/dialects";
import { useApp } from "../../testing/use-app";

const basic = (writeKey: string) => ({
  authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`,
});

/** A subscription as a browser's `PushSubscription.toJSON()` gives it. */
function browserSubscription(
  endpoint = `https://fcm.googleapis.com/fcm/send/${randomBytes(8).toString("hex")}`,
) {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return {
    endpoint,
    expirationTime: null,
    keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") },
  };
}

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] POST /v1/push/subscriptions`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const call = (method: "POST" | "DELETE", payload: unknown, business: BusinessCredentials = ctx.alpha) =>
      ctx.app.inject({
        method,
        url: "/v1/push/subscriptions",
        headers: basic(business.writeKey),
        payload: payload as object,
      });
    const customerOf = async (userId: string) => {
      const row = await ctx.store.db
        .selectFrom("customers")
        .selectAll()
        .where("business_id", "=", ctx.alpha.businessId)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      const customer = row ? toCustomer(row) : undefined;
      // biome-ignore lint/suspicious/noExplicitAny: read loosely in tests
      return { customer, push: customer?.addresses.push as any };
    };

    it("serves the browser snippet (importable from another origin) and its service worker", async () => {
      const snippet = await ctx.app.inject({ method: "GET", url: "/ui/journeys-push.js" });
      assert.equal(snippet.statusCode, 200);
      assert.match(String(snippet.headers["content-type"]), /^text\/javascript/);
      assert.equal(snippet.headers["access-control-allow-origin"], "*");
      assert.match(snippet.body, /export async function subscribeToPush/);
      const worker = await ctx.app.inject({ method: "GET", url: "/ui/journeys-push-sw.js" });
      assert.equal(worker.statusCode, 200);
      assert.match(worker.body, /addEventListener\("push"/);
    });

    it("adds a browser subscription to a new customer, who is now subscribed to push", async () => {
      const sub = browserSubscription();
      const res = await call("POST", { userId: "u-new", subscription: sub });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { success: true });
      assert.equal(res.headers["access-control-allow-origin"], "*");
      const { customer, push } = await customerOf("u-new");
      assert.deepEqual(push, [{ kind: "webpush", endpoint: sub.endpoint, keys: sub.keys }]);
      assert.equal(customer?.subscriptions.push, "subscribed");
      // Another business's write key does not reach this customer.
      await call("POST", { userId: "u-new", fcmToken: "abc:def" }, ctx.beta).then((r) =>
        assert.equal(r.statusCode, 200),
      );
      assert.deepEqual((await customerOf("u-new")).push, push);
    });

    it("refuses a missing or unknown write key (401)", async () => {
      const sub = browserSubscription();
      const none = await ctx.app.inject({
        method: "POST",
        url: "/v1/push/subscriptions",
        payload: { userId: "u", subscription: sub },
      });
      assert.equal(none.statusCode, 401);
      assert.equal(none.json().error.code, "missing_write_key");
      const wrong = await ctx.app.inject({
        method: "POST",
        url: "/v1/push/subscriptions",
        headers: basic("wk_unknown"),
        payload: { userId: "u", subscription: sub },
      });
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.json().error.code, "invalid_write_key");
      // A secret API key is not a write key.
      const secret = await ctx.app.inject({
        method: "POST",
        url: "/v1/push/subscriptions",
        headers: basic(ctx.alpha.apiKey),
        payload: { userId: "u", subscription: sub },
      });
      assert.equal(secret.statusCode, 401);
      assert.equal((await customerOf("u")).customer, undefined, "nothing was written");
    });

    it("refuses a bad subscription with a stable code naming the field (400)", async () => {
      const good = browserSubscription();
      const cases: Array<[unknown, string, string]> = [
        [{ subscription: good }, "invalid_user_id", "userId"],
        [{ userId: "u1" }, "invalid_push_subscription", "subscription"],
        [{ userId: "u1", subscription: good, fcmToken: "a:b" }, "invalid_push_subscription", "subscription"],
        [
          { userId: "u1", subscription: { ...good, endpoint: "ftp://push.example/x" } },
          "invalid_push_subscription",
          "subscription.endpoint",
        ],
        [
          { userId: "u1", subscription: { ...good, endpoint: `https://p.example/${"x".repeat(2048)}` } },
          "invalid_push_subscription",
          "subscription.endpoint",
        ],
        [
          {
            userId: "u1",
            subscription: {
              ...good,
              keys: { ...good.keys, p256dh: Buffer.alloc(65, 4).toString("base64url") },
            },
          },
          "invalid_push_subscription",
          "subscription.keys.p256dh",
        ],
        [
          { userId: "u1", subscription: { ...good, keys: { ...good.keys, auth: "c2hvcnQ" } } },
          "invalid_push_subscription",
          "subscription.keys.auth",
        ],
        [{ userId: "u1", fcmToken: "has space" }, "invalid_push_subscription", "fcmToken"],
        [{ userId: "u1", fcmToken: "x".repeat(4097) }, "invalid_push_subscription", "fcmToken"],
        [{ userId: "u1", fcmToken: "a:b", extra: 1 }, "invalid_push_subscription", "extra"],
      ];
      for (const [payload, code, field] of cases) {
        const res = await call("POST", payload);
        assert.equal(res.statusCode, 400, `${field}: ${res.body}`);
        assert.equal(res.json().error.code, code, field);
        assert.equal(res.json().error.details.field, field);
      }
      assert.equal((await customerOf("u1")).customer, undefined);
    });

    it("replaces the same endpoint, keeps FCM tokens beside browsers, and keeps the newest 20", async () => {
      const first = browserSubscription();
      await call("POST", { userId: "u-many", subscription: first }).then((r) =>
        assert.equal(r.statusCode, 200),
      );
      await call("POST", { userId: "u-many", fcmToken: "tok:one" });
      const renewed = browserSubscription(first.endpoint);
      await call("POST", { userId: "u-many", subscription: renewed });
      let { push } = await customerOf("u-many");
      assert.deepEqual(
        push.map(
          (s: { endpoint?: string; token?: string; keys?: unknown }) => s.token ?? [s.endpoint, s.keys],
        ),
        ["tok:one", [first.endpoint, renewed.keys]],
      );
      for (let i = 0; i < MAX_PUSH_SUBSCRIPTIONS; i++)
        await call("POST", { userId: "u-many", fcmToken: `tok:${i}` });
      ({ push } = await customerOf("u-many"));
      assert.equal(push.length, MAX_PUSH_SUBSCRIPTIONS);
      assert.equal(push[0].token, "tok:0", "the two oldest were dropped");
      assert.equal(push.at(-1).token, `tok:${MAX_PUSH_SUBSCRIPTIONS - 1}`);
    });

    it("removes one device with DELETE, leaving the rest and the consent", async () => {
      const a = browserSubscription();
      await call("POST", { userId: "u-del", subscription: a });
      await call("POST", { userId: "u-del", fcmToken: "tok:keep" });
      const gone = await call("DELETE", { userId: "u-del", subscription: { endpoint: a.endpoint } });
      assert.deepEqual(gone.json(), { success: true, removed: true });
      const again = await call("DELETE", { userId: "u-del", subscription: { endpoint: a.endpoint } });
      assert.deepEqual(again.json(), { success: true, removed: false });
      const { push, customer } = await customerOf("u-del");
      assert.deepEqual(push, [{ kind: "fcm", token: "tok:keep" }]);
      assert.equal(customer?.subscriptions.push, "subscribed");
      const unknown = await call("DELETE", { userId: "nobody", fcmToken: "x:y" });
      assert.deepEqual(unknown.json(), { success: true, removed: false });
    });

    it("answers the browser's CORS preflight, and the VAPID public key for the snippet", async () => {
      const preflight = await ctx.app.inject({ method: "OPTIONS", url: "/v1/push/subscriptions" });
      assert.equal(preflight.statusCode, 204);
      assert.match(String(preflight.headers["access-control-allow-methods"]), /DELETE/);
      assert.match(String(preflight.headers["access-control-allow-headers"]), /authorization/);
      const key = () =>
        ctx.app.inject({
          method: "GET",
          url: "/v1/push/vapid-public-key",
          headers: basic(ctx.beta.writeKey),
        });
      assert.equal((await key()).statusCode, 404);
      assert.equal((await key()).json().error.code, "push_not_configured");
      const setup = await putChannel(ctx.resources, ctx.beta.businessId, "push", {
        provider: "webpush",
        subject: "mailto:ops@beta.test",
      });
      assert.deepEqual((await key()).json(), { vapidPublicKey: setup.vapidPublicKey });
    });
  });
}

describe("push subscription endpoints", () => {
  it("are https, and plain http only where the operator allows private networks", () => {
    const subscription = { ...browserSubscription(), endpoint: "http://push.example/x" };
    assert.throws(() => readPushSubscription({ subscription }), /must be an https URL/);
    assert.equal(
      readPushSubscription({ subscription }, { allowHttp: true }).endpoint,
      "http://push.example/x",
    );
    assert.throws(
      () =>
        readPushSubscription(
          { subscription: { ...subscription, endpoint: "http://u:p@push.example/x" } },
          { allowHttp: true },
        ),
      /without credentials/,
    );
  });
});
