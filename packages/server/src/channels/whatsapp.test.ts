import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LOCAL_OUTBOUND } from "../testing/outbound";
import type { WhatsappMessage } from "./provider";
import { providerContract } from "./provider.contract";
import { closedPort } from "./test-smtp-server";
import { startTestWhatsappServer, type TestWhatsappServer } from "./test-whatsapp-server";
import { type WhatsappConfig, WhatsappProvider, whatsappDefinition, whatsappPayload } from "./whatsapp";

const APP_SECRET = "0123456789abcdef0123456789abcdef";
const VERIFY_TOKEN = "journeys-verify-token";

const configFor = (wa: TestWhatsappServer): WhatsappConfig => ({
  phoneNumberId: wa.phoneNumberId,
  accessToken: wa.accessToken,
  appSecret: APP_SECRET,
  verifyToken: VERIFY_TOKEN,
  apiBaseUrl: wa.url,
});
const text = (to: string, body = "Hello"): WhatsappMessage => ({ channel: "whatsapp", to, body });

providerContract("whatsapp_cloud", async () => {
  const wa = await startTestWhatsappServer();
  const config = configFor(wa);
  return {
    provider: new WhatsappProvider(config, LOCAL_OUTBOUND),
    unreachable: new WhatsappProvider(
      { ...config, apiBaseUrl: `http://127.0.0.1:${await closedPort()}` },
      LOCAL_OUTBOUND,
    ),
    message: (to) => text(to),
    upstreamDedupes: false,
    addresses: ["+4915112345678", "+14155550100"],
    accepted: () => wa.messages.length,
    refuseTemporarily: () =>
      wa.failNext({ status: 503, code: 2, message: "Service temporarily unavailable" }),
    refusePermanently: () =>
      wa.failNext({ status: 400, code: 131026, message: "(#131026) Message Undeliverable" }),
    tearDown: () => wa.close(),
  };
});

describe("whatsapp cloud provider", () => {
  let wa: TestWhatsappServer;
  let provider: WhatsappProvider;
  before(async () => {
    wa = await startTestWhatsappServer();
    provider = new WhatsappProvider(configFor(wa), LOCAL_OUTBOUND, { timeoutMs: 300 });
  });
  after(async () => {
    await provider.close();
    await wa.close();
  });
  const send = (message: WhatsappMessage = text("+4915112345678")) =>
    provider.send(message, { idempotencyKey: "dlv_wa" });

  it("sends free text to the number without +, and a template with its rendered parameters", async () => {
    const first = await send(text("+4915112345678", "Hi Ada"));
    assert.ok(first.ok);
    const textSent = wa.messages.at(-1)!;
    assert.equal(first.providerMessageId, textSent.id);
    assert.match(textSent.id, /^wamid\./);
    assert.equal(textSent.version, "v23.0");
    assert.deepEqual(textSent.body, {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "4915112345678",
      type: "text",
      text: { body: "Hi Ada", preview_url: false },
    });
    wa.templates = new Map([
      ["order_update", 2],
      ["welcome", 0],
    ]);
    try {
      const ref = { name: "order_update", language: "en_US", parameters: ["Ada", "#1001"] };
      assert.ok((await send({ channel: "whatsapp", to: "+4915112345678", whatsappTemplate: ref })).ok);
      assert.deepEqual(wa.messages.at(-1)!.body.template, {
        name: "order_update",
        language: { code: "en_US" },
        components: [
          {
            type: "body",
            parameters: [
              { type: "text", text: "Ada" },
              { type: "text", text: "#1001" },
            ],
          },
        ],
      });
      const bare = { name: "welcome", language: "en", parameters: [] };
      assert.ok((await send({ channel: "whatsapp", to: "+4915112345678", whatsappTemplate: bare })).ok);
      assert.deepEqual(wa.messages.at(-1)!.body.template, { name: "welcome", language: { code: "en" } });
      // The test server refuses what the Cloud API refuses: a wrong parameter count, an unknown template.
      const wrong = await send({
        channel: "whatsapp",
        to: "+4915112345678",
        whatsappTemplate: { ...ref, parameters: ["Ada"] },
      });
      assert.ok(
        !wrong.ok && wrong.kind === "permanent" && /#132000/.test(wrong.message),
        JSON.stringify(wrong),
      );
      const unknown = await send({
        channel: "whatsapp",
        to: "+4915112345678",
        whatsappTemplate: { ...ref, name: "nope" },
      });
      assert.ok(!unknown.ok && unknown.kind === "permanent" && /#132001/.test(unknown.message));
    } finally {
      wa.templates = null;
    }
  });

  it("answers 131047 (outside the 24-hour window) as permanent, and sends the template instead", async () => {
    wa.openWindows = new Set(["14155550100"]);
    try {
      const outside = await send(text("+4915112345678"));
      assert.deepEqual(outside, {
        ok: false,
        kind: "permanent",
        message:
          "400 (#131047) Re-engagement message: more than 24 hours since the customer's last message, so only an approved template may go",
      });
      assert.ok((await send(text("+14155550100"))).ok, "inside its window, free text goes");
      const ref = { name: "order_update", language: "en", parameters: ["x"] };
      assert.ok((await send({ channel: "whatsapp", to: "+4915112345678", whatsappTemplate: ref })).ok);
    } finally {
      wa.openWindows = null;
    }
  });

  it("answers each fault as the policy says, and never throws", async () => {
    const cases: Array<[Parameters<TestWhatsappServer["failNext"]>[0], string, RegExp, number?]> = [
      [{ status: 500 }, "retryable", /^500 \(#131000\) Something went wrong$/],
      [{ status: 503, code: 2, retryAfter: "7" }, "retry_after", /^503 /, 7_000],
      [
        { status: 429, code: 130429, message: "(#130429) Rate limit hit" },
        "retryable",
        /^429 \(#130429\) Rate limit hit$/,
      ],
      // The Cloud API reports throughput limits with HTTP 400: the code decides.
      [
        { status: 400, code: 131056, message: "(#131056) pair rate limit hit", retryAfter: "3" },
        "retry_after",
        /131056/,
        3_000,
      ],
      [{ status: 400, code: 80007, message: "(#80007) Rate limit issues" }, "retryable", /80007/],
      [{ status: 502, html: true }, "retryable", /^502 from the WhatsApp Cloud API$/],
      [{ status: 400, code: 131026, message: "(#131026) Message Undeliverable" }, "permanent", /131026/],
      ["hang", "retryable", /outcome unknown/],
      ["reset", "retryable", /network error/],
    ];
    for (const [fault, kind, message, wait] of cases) {
      wa.failNext(fault);
      const before = wa.messages.length;
      const result = await send();
      assert.ok(!result.ok, JSON.stringify(fault));
      assert.equal(result.kind, kind, `${JSON.stringify(fault)} → ${JSON.stringify(result)}`);
      assert.match(result.message, message);
      assert.ok(!result.message.includes("<html"), "never the raw page");
      if (wait !== undefined) assert.equal(result.kind === "retry_after" && result.retryAfterMs, wait);
      assert.equal(wa.messages.length, before, "nothing was sent");
      assert.ok((await send()).ok, "the next send goes through");
    }
  });

  it("retries a refused access token (the set-up's fault) and says to fix it; a wrong number id is permanent", async () => {
    const wrongToken = new WhatsappProvider(
      { ...configFor(wa), accessToken: `EAAG${"0".repeat(40)}` },
      LOCAL_OUTBOUND,
    );
    const wrongNumber = new WhatsappProvider(
      { ...configFor(wa), phoneNumberId: "123456789012345" },
      LOCAL_OUTBOUND,
    );
    try {
      const token = await wrongToken.send(text("+4915112345678"), { idempotencyKey: "dlv_t" });
      assert.ok(!token.ok && token.kind === "retryable", JSON.stringify(token));
      assert.match(
        token.message,
        /fix the accessToken of the whatsapp set-up \(401 \(#190\) Invalid OAuth access token/,
      );
      const number = await wrongNumber.send(text("+4915112345678"), { idempotencyKey: "dlv_n" });
      assert.ok(!number.ok && number.kind === "permanent", JSON.stringify(number));
      assert.match(number.message, /^400 \(#100\) Unsupported post request/);
    } finally {
      await wrongToken.close();
      await wrongNumber.close();
    }
  });

  it("is refused by the test server as the Cloud API would for a malformed request", async () => {
    const post = (body: unknown, token = wa.accessToken) =>
      fetch(`${wa.url}/v23.0/${wa.phoneNumberId}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const good = whatsappPayload(text("+4915112345678"))!;
    assert.equal((await post(good)).status, 200);
    for (const bad of [
      { ...good, messaging_product: "sms" },
      { ...good, to: "+4915112345678" },
      { ...good, type: "text", text: { body: "" } },
      { ...good, type: "text", text: { body: "x".repeat(4097) } },
      { ...good, type: "template", template: { name: "t" } },
      { ...good, type: "image" },
    ]) {
      const res = await post(bad);
      assert.equal(res.status, 400, JSON.stringify(bad).slice(0, 80));
      const { error } = (await res.json()) as { error: { code: number; message: string } };
      assert.deepEqual([error.code, error.message], [100, "(#100) Invalid parameter"]);
    }
    const unauthorised = await post(good, "EAAGwrong");
    assert.equal(unauthorised.status, 401);
    assert.equal(((await unauthorised.json()) as { error: { code: number } }).error.code, 190);
  });

  it("checks a set-up, naming every wrong field, and shows no secret", () => {
    const problems = whatsappDefinition.parse(
      {
        provider: "whatsapp_cloud",
        phoneNumberId: "+4915112345678",
        accessToken: "short",
        appSecret: "not hex",
        apiVersion: "23",
        apiBaseUrl: "ftp://x.test",
        extra: true,
      },
      null,
    );
    assert.ok(Array.isArray(problems));
    assert.deepEqual(problems.map((p) => p.field).sort(), [
      "accessToken",
      "apiBaseUrl",
      "apiVersion",
      "appSecret",
      "extra",
      "phoneNumberId",
      "verifyToken",
    ]);
    const input = {
      provider: "whatsapp_cloud",
      phoneNumberId: "106540352242922",
      accessToken: "EAAGm0PX4ZCpsBA-secret-token",
      appSecret: APP_SECRET,
      verifyToken: VERIFY_TOKEN,
    };
    const stored = whatsappDefinition.parse(input, null);
    assert.ok(!Array.isArray(stored));
    assert.deepEqual(whatsappDefinition.redact(stored), {
      phoneNumberId: "106540352242922",
      accessTokenSet: true,
      appSecretSet: true,
      verifyTokenSet: true,
    });
    assert.deepEqual(whatsappDefinition.outboundHosts(stored), [
      { field: "phoneNumberId", host: "graph.facebook.com" },
    ]);
    assert.deepEqual(
      whatsappDefinition.outboundHosts({ ...stored, apiBaseUrl: "https://wa-gateway.example:8443" }),
      [{ field: "apiBaseUrl", host: "wa-gateway.example" }],
    );
  });

  it("keeps stored secrets not sent again — the access token only for the same number and API", () => {
    const stored: WhatsappConfig = {
      phoneNumberId: "106540352242922",
      accessToken: "EAAGm0PX4ZCpsBA-secret-token",
      appSecret: APP_SECRET,
      verifyToken: VERIFY_TOKEN,
    };
    const kept = whatsappDefinition.parse(
      { provider: "whatsapp_cloud", phoneNumberId: stored.phoneNumberId, apiVersion: "v21.0" },
      stored,
    );
    assert.deepEqual(kept, { ...stored, apiVersion: "v21.0" });
    for (const change of [{ phoneNumberId: "999999999999999" }, { apiBaseUrl: "https://evil.example" }]) {
      const moved = whatsappDefinition.parse(
        { provider: "whatsapp_cloud", phoneNumberId: stored.phoneNumberId, ...change },
        stored,
      );
      assert.deepEqual(moved, [
        { field: "accessToken", message: "must be sent again: the phone number ID or API base URL changed" },
      ]);
    }
    const sameApi = whatsappDefinition.parse(
      {
        provider: "whatsapp_cloud",
        phoneNumberId: stored.phoneNumberId,
        apiBaseUrl: "https://graph.facebook.com/",
      },
      stored,
    );
    assert.ok(!Array.isArray(sameApi) && sameApi.accessToken === stored.accessToken);
  });
});
