import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LOCAL_OUTBOUND } from "../testing/outbound";
import type { EmailMessage } from "./provider";
import { providerContract } from "./provider.contract";
import { type ResendConfig, ResendProvider, resendDefinition } from "./resend";
import { startTestResendServer, type TestResendServer } from "./test-resend-server";
import { closedPort } from "./test-smtp-server";

const email = (to: string): EmailMessage => ({
  channel: "email",
  to,
  subject: "Your order shipped",
  html: "<p>It is on its way.</p>",
  text: "It is on its way.",
  headers: { "List-Unsubscribe": "<https://journeys.example/u/t>" },
});

providerContract("resend", async () => {
  const resend = await startTestResendServer();
  const config: ResendConfig = {
    apiKey: resend.apiKey,
    from: "Shop <news@shop.example>",
    apiBaseUrl: resend.url,
  };
  return {
    provider: new ResendProvider(config, LOCAL_OUTBOUND),
    unreachable: new ResendProvider(
      { ...config, apiBaseUrl: `http://127.0.0.1:${await closedPort()}` },
      LOCAL_OUTBOUND,
    ),
    message: email,
    // The key carries the payload's hash: another message under the same delivery is another send.
    upstreamDedupes: false,
    addresses: ["ada@example.com", "grace@example.com"],
    accepted: () => resend.emails.length,
    refuseTemporarily: () => resend.failNext({ status: 503, name: "internal_server_error", message: "busy" }),
    refusePermanently: () =>
      resend.failNext({ status: 422, name: "validation_error", message: "Invalid `to` field." }),
    tearDown: () => resend.close(),
  };
});

describe("resend provider", () => {
  let resend: TestResendServer;
  let provider: ResendProvider;
  before(async () => {
    resend = await startTestResendServer();
    provider = new ResendProvider(
      { apiKey: resend.apiKey, from: "Shop <news@shop.example>", apiBaseUrl: resend.url },
      LOCAL_OUTBOUND,
      { timeoutMs: 300 },
    );
  });
  after(async () => {
    await provider.close();
    await resend.close();
  });

  it("sends from, to, subject, both parts and the unsubscribe headers", async () => {
    const result = await provider.send(email("ada@example.com"), { idempotencyKey: "dlv_1" });
    assert.ok(result.ok, JSON.stringify(result));
    const sent = resend.emails.at(-1)!;
    assert.equal(sent.id, result.providerMessageId);
    assert.deepEqual(
      { from: sent.from, to: sent.to, subject: sent.subject, text: sent.text, headers: sent.headers },
      {
        from: "Shop <news@shop.example>",
        to: ["ada@example.com"],
        subject: "Your order shipped",
        text: "It is on its way.",
        headers: { "List-Unsubscribe": "<https://journeys.example/u/t>" },
      },
    );
  });

  it("sends once when a delivery is retried after a lost answer", async () => {
    const before = resend.emails.length;
    const first = await provider.send(email("grace@example.com"), { idempotencyKey: "dlv_retry" });
    const again = await provider.send(email("grace@example.com"), { idempotencyKey: "dlv_retry" });
    assert.ok(first.ok && again.ok);
    assert.equal(again.providerMessageId, first.providerMessageId);
    assert.equal(resend.emails.length, before + 1);
  });

  it("classifies every fault without throwing and never sends twice", async () => {
    const cases: Array<[Parameters<TestResendServer["failNext"]>[0], string, RegExp]> = [
      [{ status: 500, name: "internal_server_error" }, "retryable", /500 Resend internal_server_error/],
      [{ status: 503, retryAfter: "3" }, "retry_after", /503/],
      [{ status: 429, name: "rate_limit_exceeded", message: "Too many requests" }, "retryable", /429/],
      [{ status: 429, name: "rate_limit_exceeded", retryAfter: "1" }, "retry_after", /429/],
      ["reset", "retryable", /network error/],
      ["hang", "retryable", /outcome unknown/],
    ];
    for (const [fault, kind, message] of cases) {
      const before = resend.emails.length;
      resend.failNext(fault);
      const result = await provider.send(email("ada@example.com"), { idempotencyKey: "dlv_fault" });
      assert.ok(!result.ok && result.kind === kind, `${JSON.stringify(fault)} → ${JSON.stringify(result)}`);
      assert.match(result.message, message);
      assert.equal(resend.emails.length, before);
    }
    const wrongKey = new ResendProvider({ ...provider.config, apiKey: "re_wrongwrongwrong" }, LOCAL_OUTBOUND);
    const refused = await wrongKey.send(email("ada@example.com"), { idempotencyKey: "dlv_key" });
    await wrongKey.close();
    assert.ok(
      !refused.ok && refused.kind === "retryable" && /403 Resend invalid_api_key/.test(refused.message),
    );
  });
});

describe("resend set-up", () => {
  const valid = { provider: "resend", apiKey: "re_abcdefgh12345678", from: "news@shop.example" };

  it("names every wrong field, and never shows the key or the webhook secret", () => {
    const problems = resendDefinition.parse(
      { provider: "resend", apiKey: "sk_x", from: "nobody", other: 1 },
      null,
    );
    assert.ok(Array.isArray(problems));
    assert.deepEqual(problems.map((p) => p.field).sort(), ["apiKey", "from", "other"]);
    const parsed = resendDefinition.parse(
      { ...valid, webhookSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
      null,
    );
    assert.ok(!Array.isArray(parsed));
    const shown = JSON.stringify(resendDefinition.redact(parsed));
    assert.ok(!shown.includes("re_abcdefgh") && !shown.includes("whsec_"));
    assert.match(shown, /"apiKeySet":true,"webhookSecretSet":true/);
    const kept = resendDefinition.parse({ provider: "resend", from: "news@shop.example" }, parsed);
    assert.ok(
      !Array.isArray(kept) && kept.apiKey === parsed.apiKey && kept.webhookSecret === parsed.webhookSecret,
    );
    const moved = resendDefinition.parse(
      { provider: "resend", from: "news@shop.example", apiBaseUrl: "https://evil.example" },
      parsed,
    );
    assert.ok(Array.isArray(moved) && moved.some((p) => p.field === "apiKey"));
  });
});
