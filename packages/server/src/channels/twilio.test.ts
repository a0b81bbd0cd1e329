import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LOCAL_OUTBOUND } from "../testing/outbound";
import { providerContract } from "./provider.contract";
import { closedPort } from "./test-smtp-server";
import { startTestTwilioServer, type TestTwilioServer } from "./test-twilio-server";
import { type TwilioConfig, TwilioProvider, twilioDefinition } from "./twilio";

const sms = (to: string) => ({ channel: "sms" as const, to, body: "Your order shipped" });

providerContract("twilio", async () => {
  const twilio = await startTestTwilioServer();
  const config: TwilioConfig = {
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    from: "+15005550006",
    apiBaseUrl: twilio.url,
  };
  return {
    provider: new TwilioProvider(config, LOCAL_OUTBOUND),
    unreachable: new TwilioProvider(
      { ...config, apiBaseUrl: `http://127.0.0.1:${await closedPort()}` },
      LOCAL_OUTBOUND,
    ),
    message: sms,
    upstreamDedupes: false,
    addresses: ["+4915112345678", "+14155550100"],
    accepted: () => twilio.messages.length,
    refuseTemporarily: () => twilio.failNext({ status: 503, code: 20503, message: "Service Unavailable" }),
    refusePermanently: () =>
      twilio.failNext({ status: 400, code: 21211, message: "The 'To' number is not valid." }),
    tearDown: () => twilio.close(),
  };
});

describe("twilio provider", () => {
  let twilio: TestTwilioServer;
  let provider: TwilioProvider;
  before(async () => {
    twilio = await startTestTwilioServer();
    provider = new TwilioProvider(
      {
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        from: "+15005550006",
        apiBaseUrl: twilio.url,
      },
      LOCAL_OUTBOUND,
    );
  });
  after(async () => {
    await provider.close();
    await twilio.close();
  });

  it("posts To, From, Body and the status callback, and answers the message SID", async () => {
    const result = await provider.send(sms("+4915112345678"), {
      idempotencyKey: "dlv_1",
      callbackBase: "https://journeys.example/webhooks/bus_1",
    });
    assert.ok(result.ok && /^SM[0-9a-f]{32}$/.test(result.providerMessageId), JSON.stringify(result));
    const sent = twilio.messages.at(-1)!;
    assert.deepEqual(
      { to: sent.to, from: sent.from, body: sent.body, statusCallback: sent.statusCallback },
      {
        to: "+4915112345678",
        from: "+15005550006",
        body: "Your order shipped",
        statusCallback: "https://journeys.example/webhooks/bus_1/twilio",
      },
    );
  });

  it("sends through a messaging service instead of a number when the set-up names one", async () => {
    const service = new TwilioProvider(
      {
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        messagingServiceSid: `MG${"a".repeat(32)}`,
        apiBaseUrl: twilio.url,
      },
      LOCAL_OUTBOUND,
    );
    const result = await service.send(sms("+4915112345678"), { idempotencyKey: "dlv_2" });
    await service.close();
    assert.equal(result.ok, true);
    assert.equal(twilio.messages.at(-1)?.from, null);
    assert.equal(twilio.messages.at(-1)?.messagingServiceSid, `MG${"a".repeat(32)}`);
  });

  it("classifies every fault without throwing and never sends twice", async () => {
    const cases: Array<[Parameters<TestTwilioServer["failNext"]>[0], string, RegExp]> = [
      [{ status: 500, code: 20500, message: "Internal Server Error" }, "retryable", /500 Twilio 20500/],
      [{ status: 503, retryAfter: "7", message: "busy" }, "retry_after", /503/],
      [{ status: 429, code: 20429, message: "Too Many Requests" }, "retryable", /429 Twilio 20429/],
      ["reset", "retryable", /network error/],
    ];
    for (const [fault, kind, message] of cases) {
      const before = twilio.messages.length;
      twilio.failNext(fault);
      const result = await provider.send(sms("+4915112345678"), { idempotencyKey: "dlv_fault" });
      assert.ok(!result.ok && result.kind === kind, `${JSON.stringify(fault)} → ${JSON.stringify(result)}`);
      assert.match(result.message, message);
      if (result.kind === "retry_after") assert.equal(result.retryAfterMs, 7000);
      assert.equal(twilio.messages.length, before, "a refused send is not a sent message");
    }
  });

  it("answers a hang as retryable with the outcome unknown", async () => {
    const quick = new TwilioProvider(provider.config, LOCAL_OUTBOUND, { timeoutMs: 300 });
    twilio.failNext("hang");
    const result = await quick.send(sms("+4915112345678"), { idempotencyKey: "dlv_hang" });
    await quick.close();
    assert.ok(!result.ok && result.kind === "retryable", JSON.stringify(result));
    assert.match(result.message, /outcome unknown/);
  });

  it("treats a recipient who replied STOP as gone, and bad credentials as the set-up's fault", async () => {
    twilio.unsubscribed.add("+14155550199");
    const stopped = await provider.send(sms("+14155550199"), { idempotencyKey: "dlv_3" });
    assert.ok(!stopped.ok && stopped.kind === "permanent", JSON.stringify(stopped));
    assert.match(stopped.message, /21610/);
    assert.deepEqual(stopped.gone, ["+14155550199"]);
    const wrong = new TwilioProvider({ ...provider.config, authToken: "f".repeat(32) }, LOCAL_OUTBOUND);
    const refused = await wrong.send(sms("+4915112345678"), { idempotencyKey: "dlv_4" });
    await wrong.close();
    assert.ok(!refused.ok && refused.kind === "retryable", JSON.stringify(refused));
    assert.match(refused.message, /401 Twilio 20003: Authenticate/);
    const long = await provider.send(
      { ...sms("+4915112345678"), body: "x".repeat(1601) },
      { idempotencyKey: "dlv_5" },
    );
    assert.ok(!long.ok && long.kind === "permanent" && /21617/.test(long.message));
  });
});

describe("twilio set-up", () => {
  const valid = {
    provider: "twilio",
    accountSid: `AC${"0".repeat(32)}`,
    authToken: "a".repeat(32),
    from: "+15005550006",
  };

  it("checks every field and names each wrong one", () => {
    const problems = twilioDefinition.parse(
      { provider: "twilio", accountSid: "nope", authToken: "", from: "+1", apiBaseUrl: "ftp://x", extra: 1 },
      null,
    );
    assert.ok(Array.isArray(problems));
    assert.deepEqual(problems.map((p) => p.field).sort(), [
      "accountSid",
      "apiBaseUrl",
      "authToken",
      "extra",
      "from",
    ]);
    const noSender = twilioDefinition.parse({ ...valid, from: undefined }, null);
    assert.ok(Array.isArray(noSender) && noSender[0]?.field === "from");
  });

  it("never shows the auth token, and keeps it only for the same account and API", () => {
    const parsed = twilioDefinition.parse(valid, null);
    assert.ok(!Array.isArray(parsed));
    const shown = twilioDefinition.redact(parsed);
    assert.equal(shown.authTokenSet, true);
    assert.ok(!JSON.stringify(shown).includes("a".repeat(32)));
    const kept = twilioDefinition.parse({ ...valid, authToken: undefined, from: "+15005550007" }, parsed);
    assert.ok(!Array.isArray(kept) && kept.authToken === parsed.authToken);
    const moved = twilioDefinition.parse(
      { ...valid, authToken: undefined, apiBaseUrl: "https://evil.example" },
      parsed,
    );
    assert.ok(Array.isArray(moved) && moved[0]?.field === "authToken");
    assert.deepEqual(twilioDefinition.outboundHosts(parsed), [
      { field: "accountSid", host: "api.twilio.com" },
    ]);
  });
});
