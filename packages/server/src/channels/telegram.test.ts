import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LOCAL_OUTBOUND } from "../testing/outbound";
import { HttpClient } from "./http";
import type { MessageFor } from "./provider";
import { providerContract } from "./provider.contract";
import {
  registerTelegramWebhook,
  type TelegramConfig,
  TelegramProvider,
  telegramDefinition,
} from "./telegram";
import { closedPort } from "./test-smtp-server";
import {
  BLOCKED,
  DEACTIVATED,
  startTestTelegramServer,
  type TestTelegramServer,
} from "./test-telegram-server";

const hello = (to: string): MessageFor<"telegram"> => ({
  channel: "telegram",
  to,
  body: "Hello from Journeys",
});
const configOf = (t: TestTelegramServer): TelegramConfig => ({
  botToken: t.botToken,
  botUsername: t.botUsername,
  apiBaseUrl: t.url,
});

providerContract("telegram", async () => {
  const telegram = await startTestTelegramServer();
  telegram.addChat("1001");
  telegram.addChat("1002");
  return {
    provider: new TelegramProvider(configOf(telegram), LOCAL_OUTBOUND),
    unreachable: new TelegramProvider(
      { ...configOf(telegram), apiBaseUrl: `http://127.0.0.1:${await closedPort()}` },
      LOCAL_OUTBOUND,
    ),
    message: hello,
    upstreamDedupes: false,
    addresses: ["1001", "1002"],
    accepted: () => telegram.messages.length,
    refuseTemporarily: () => telegram.failNext({ status: 500 }),
    refusePermanently: () => telegram.failNext({ status: 400, description: "Bad Request: chat not found" }),
    tearDown: () => telegram.close(),
  };
});

describe("telegram provider", () => {
  let telegram: TestTelegramServer;
  let provider: TelegramProvider;
  before(async () => {
    telegram = await startTestTelegramServer();
    telegram.addChat("42");
    provider = new TelegramProvider(configOf(telegram), LOCAL_OUTBOUND, { timeoutMs: 300 });
  });
  after(async () => {
    await provider.close();
    await telegram.close();
  });
  const send = (to = "42", body = "Hi") =>
    provider.send({ channel: "telegram", to, body }, { idempotencyKey: "dlv_tg" });

  it("sends {chat_id, text} and answers '{chat id}:{message id}'", async () => {
    const before = telegram.messages.length;
    const result = await send("42", "Your order shipped");
    const sent = telegram.messages[before]!;
    assert.deepEqual(result, { ok: true, providerMessageId: `42:${sent.messageId}` });
    assert.deepEqual([sent.chatId, sent.text], ["42", "Your order shipped"]);
  });

  it("answers every fault with the kind the dispatcher acts on, never throwing, never sending", async () => {
    const before = telegram.messages.length;
    telegram.failNext({ status: 500 });
    const failed = await send();
    assert.deepEqual(failed, { ok: false, kind: "retryable", message: "500 Internal Server Error" });

    telegram.failNext({ status: 503, retryAfterHeader: "7", html: true });
    const unavailable = await send();
    assert.equal(!unavailable.ok && unavailable.kind, "retry_after");
    assert.equal(!unavailable.ok && unavailable.kind === "retry_after" && unavailable.retryAfterMs, 7000);
    assert.ok(!unavailable.ok && !/html|nginx/i.test(unavailable.message), "no HTML page in the reason");

    telegram.failNext({ status: 429, retryAfter: 3 });
    const busy = await send();
    assert.deepEqual(busy, {
      ok: false,
      kind: "retry_after",
      retryAfterMs: 3000,
      message: "429 Too Many Requests: retry after 3",
    });

    telegram.failNext("hang");
    const hung = await send();
    assert.equal(!hung.ok && hung.kind, "retryable");
    assert.match(!hung.ok ? hung.message : "", /within 300 ms \(outcome unknown\)/);

    telegram.failNext("reset");
    const reset = await send();
    assert.equal(!reset.ok && reset.kind, "retryable");
    assert.match(!reset.ok ? reset.message : "", /network error/);

    assert.equal(telegram.messages.length, before, "no fault sent a message");
    assert.equal((await send()).ok, true, "the next send goes");
  });

  it("reports a chat whose user blocked the bot, or whose account is gone, as permanent and gone", async () => {
    telegram.failNext(BLOCKED);
    assert.deepEqual(await send("42"), {
      ok: false,
      kind: "permanent",
      message: "403 Forbidden: bot was blocked by the user",
      gone: ["42"],
    });
    telegram.failNext(DEACTIVATED);
    const deactivated = await send("42");
    assert.deepEqual(!deactivated.ok && [deactivated.kind, deactivated.gone], ["permanent", ["42"]]);
    telegram.block("42");
    const blocked = await send("42");
    assert.deepEqual(!blocked.ok && blocked.gone, ["42"]);
    telegram.addChat("42");
  });

  it("answers a chat not found, an empty text and a wrong token as permanent, not gone", async () => {
    const unknown = await send("999");
    assert.deepEqual(unknown, { ok: false, kind: "permanent", message: "400 Bad Request: chat not found" });
    const empty = await send("42", " ");
    assert.deepEqual(empty, {
      ok: false,
      kind: "permanent",
      message: "400 Bad Request: message text is empty",
    });
    const wrong = new TelegramProvider(
      { ...configOf(telegram), botToken: `1:${"A".repeat(35)}` },
      LOCAL_OUTBOUND,
    );
    assert.deepEqual(await wrong.send(hello("42"), { idempotencyKey: "dlv_x" }), {
      ok: false,
      kind: "permanent",
      message: "401 Unauthorized",
    });
    await wrong.close();
  });

  it("registers the webhook with the secret token and the two update kinds it reads", async () => {
    const client = new HttpClient(LOCAL_OUTBOUND);
    try {
      const set = await registerTelegramWebhook(
        client,
        configOf(telegram),
        "https://journeys.example.com/webhooks/bus_1/telegram",
        "s3cret_token-1",
      );
      assert.deepEqual(set, { ok: true, description: "Webhook was set" });
      assert.deepEqual(telegram.webhook, {
        url: "https://journeys.example.com/webhooks/bus_1/telegram",
        secretToken: "s3cret_token-1",
        allowedUpdates: ["message", "my_chat_member"],
      });
      const refused = await registerTelegramWebhook(
        client,
        configOf(telegram),
        "http://127.0.0.1:3000/webhooks/bus_1/telegram",
        "s3cret_token-1",
      );
      assert.deepEqual(refused, {
        ok: false,
        kind: "permanent",
        message: "400 Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
      });
    } finally {
      client.close();
    }
  });
});

describe("telegram set-up", () => {
  const token = `123456789:${"A".repeat(30)}b_c-d`;
  const valid = { provider: "telegram", botToken: token, botUsername: "Shop_News_Bot" };

  it("checks a set-up, naming every wrong field", () => {
    const problems = telegramDefinition.parse(
      { provider: "telegram", botToken: "123:short", botUsername: "shop", apiBaseUrl: "ftp://x", extra: 1 },
      null,
    );
    assert.ok(Array.isArray(problems));
    assert.deepEqual(problems.map((p) => p.field).sort(), ["apiBaseUrl", "botToken", "botUsername", "extra"]);
    assert.ok(Array.isArray(telegramDefinition.parse({ ...valid, botUsername: "shop_news" }, null)));
    assert.ok(Array.isArray(telegramDefinition.parse({ ...valid, botToken: undefined }, null)));
    assert.deepEqual(telegramDefinition.parse({ ...valid, apiBaseUrl: "https://tg.example/api/" }, null), {
      botToken: token,
      botUsername: "Shop_News_Bot",
      apiBaseUrl: "https://tg.example/api",
    });
  });

  it("keeps a stored token not sent again only for the same bot and API base", () => {
    const stored = { botToken: token, botUsername: "Shop_News_Bot" };
    const { botToken: _t, ...again } = valid;
    assert.deepEqual(telegramDefinition.parse(again, stored), stored);
    for (const change of [{ apiBaseUrl: "https://evil.example" }, { botUsername: "other_bot" }]) {
      const problems = telegramDefinition.parse({ ...again, ...change }, stored);
      assert.deepEqual(problems, [
        { field: "botToken", message: "must be sent again: the bot username or apiBaseUrl changed" },
      ]);
    }
  });

  it("never shows the token, and names the API host it connects to", () => {
    const config = { botToken: token, botUsername: "shop_bot" };
    const shown = telegramDefinition.redact(config);
    assert.deepEqual(shown, { botUsername: "shop_bot", botTokenSet: true });
    assert.ok(!JSON.stringify(shown).includes(token.split(":")[1]!));
    assert.deepEqual(telegramDefinition.secretFields, ["botToken"]);
    assert.deepEqual(telegramDefinition.outboundHosts(config), [
      { field: "apiBaseUrl", host: "api.telegram.org" },
    ]);
    assert.deepEqual(telegramDefinition.outboundHosts({ ...config, apiBaseUrl: "http://10.0.0.5:8081" }), [
      { field: "apiBaseUrl", host: "10.0.0.5" },
    ]);
  });
});
