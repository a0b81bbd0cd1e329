import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dispatchDue } from "../dispatcher/dispatch";
import { deliveryRow, queueDelivery } from "../dispatcher/testing";
import { api, expect } from "../segments/testing";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";
import { customerByTelegramChat, readTelegramLinkToken, telegramLinkToken } from "./telegram-link";
import { connectTelegramWebhook, telegramWebhookSecret } from "./telegram-webhook";
import { startTestTelegramServer, type TestTelegramServer } from "./test-telegram-server";

const PUBLIC_URL = "https://journeys.example";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] telegram deep links and webhook`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect, { publicUrl: PUBLIC_URL });
    let telegram: TestTelegramServer;
    let updates = 0;
    before(async () => {
      if (dialect.skip) return;
      telegram = await startTestTelegramServer();
    });
    after(() => telegram?.close());

    const setUp = () =>
      api(ctx, ctx.alpha, "PUT", "/channels/telegram", {
        provider: "telegram",
        botToken: telegram.botToken,
        botUsername: telegram.botUsername,
        apiBaseUrl: telegram.url,
      }).then(expect(200));
    const secret = () => telegramWebhookSecret(ctx.store, ctx.alpha.businessId, telegram);
    const post = async (update: object, token?: string) =>
      ctx.app.inject({
        method: "POST",
        url: `/webhooks/${ctx.alpha.businessId}/telegram`,
        headers: {
          "content-type": "application/json",
          "x-telegram-bot-api-secret-token": token ?? (await secret()),
        },
        payload: JSON.stringify({ update_id: ++updates, ...update }),
      });
    const start = (chatId: number, text: string) => ({
      message: {
        message_id: updates,
        from: { id: chatId, is_bot: false, first_name: "Ada" },
        chat: { id: chatId, first_name: "Ada", type: "private" },
        date: 1_700_000_000,
        text,
      },
    });
    const chatMember = (chatId: number, status: "kicked" | "member") => ({
      my_chat_member: {
        chat: { id: chatId, type: "private" },
        from: { id: chatId, is_bot: false, first_name: "Ada" },
        date: 1_700_000_000,
        old_chat_member: { status: status === "kicked" ? "member" : "kicked", user: { id: 1, is_bot: true } },
        new_chat_member: { status, user: { id: 1, is_bot: true } },
      },
    });
    const newCustomer = async (business = ctx.alpha) =>
      (
        await api(ctx, business, "POST", "/customers", { email: `c${++updates}@example.com` }).then(
          expect(201),
        )
      ).id as string;
    const profile = async (id: string) => api(ctx, ctx.alpha, "GET", `/customers/${id}`).then(expect(200));
    const linkToken = async (id: string) => {
      const { url } = await api(ctx, ctx.alpha, "GET", `/customers/${id}/telegram-link`).then(expect(200));
      const link = new URL(url);
      assert.equal(`${link.origin}${link.pathname}`, `https://t.me/${telegram.botUsername}`);
      return link.searchParams.get("start")!;
    };

    it("has no webhook and no link until the business sets telegram up", async () => {
      const id = await newCustomer();
      assert.equal((await post(start(5001, "/start x"))).statusCode, 404);
      await api(ctx, ctx.alpha, "GET", `/customers/${id}/telegram-link`).then(expect(404));
      await setUp();
      await api(ctx, ctx.alpha, "GET", "/customers/cus_missing/telegram-link").then(expect(404));
    });

    it("gives a signed start link of at most 64 allowed characters per customer", async () => {
      await setUp();
      const id = await newCustomer();
      const token = await linkToken(id);
      assert.match(token, /^[A-Za-z0-9_-]{1,64}$/);
      assert.equal(await readTelegramLinkToken(ctx.store, ctx.alpha.businessId, token), id);
      assert.equal(await readTelegramLinkToken(ctx.store, ctx.beta.businessId, token), null);
    });

    it("refuses an update without the secret token, or with another's, and changes nothing", async () => {
      await setUp();
      const id = await newCustomer();
      const token = await linkToken(id);
      const elsewhere = await telegramWebhookSecret(ctx.store, ctx.beta.businessId, telegram);
      for (const wrong of ["", "nope", elsewhere, `${(await secret()).slice(0, -1)}x`]) {
        const response = await post(start(5002, `/start ${token}`), wrong);
        assert.equal(response.statusCode, 403, wrong);
      }
      const after = await profile(id);
      assert.deepEqual([after.addresses, after.subscriptions.telegram], [{}, "unknown"]);
    });

    it("links the chat and subscribes on /start with the customer's token; a repeat changes nothing", async () => {
      await setUp();
      const id = await newCustomer();
      const update = start(5003, `/start ${await linkToken(id)}`);
      assert.equal((await post(update)).statusCode, 200);
      const linked = await profile(id);
      assert.deepEqual(linked.addresses, { telegram: { chatId: "5003" } });
      assert.equal(linked.subscriptions.telegram, "subscribed");
      assert.equal((await post(update)).statusCode, 200, "a repeated update is harmless");
      assert.deepEqual((await profile(id)).addresses, { telegram: { chatId: "5003" } });
    });

    it("answers a forged or foreign token 200 and links nothing", async () => {
      await setUp();
      const id = await newCustomer();
      const token = await linkToken(id);
      const forged = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
      const other = await newCustomer();
      const swapped = `${other}${token.slice(id.length)}`;
      // Signed for a customer of another business: the webhook's business does not match.
      const foreign = await telegramLinkToken(ctx.store, ctx.beta.businessId, await newCustomer(ctx.beta));
      for (const text of [`/start ${forged}`, `/start ${swapped}`, `/start ${foreign}`, "/start", "hello"]) {
        assert.equal((await post(start(5004, text))).statusCode, 200, text);
      }
      for (const customer of [id, other]) assert.deepEqual((await profile(customer)).addresses, {});
      assert.equal(await customerByTelegramChat(ctx.resources, ctx.alpha.businessId, "5004"), null);
    });

    it("unsubscribes on a block (kicked) and on /stop; an unblock subscribes a linked chat again", async () => {
      await setUp();
      const id = await newCustomer();
      await post(start(5005, `/start ${await linkToken(id)}`));
      const status = async () => (await profile(id)).subscriptions.telegram;
      assert.equal((await post(chatMember(5005, "kicked"))).statusCode, 200);
      assert.equal(await status(), "unsubscribed");
      await post(chatMember(5005, "member"));
      assert.equal(await status(), "subscribed");
      await post(start(5005, "/stop"));
      assert.equal(await status(), "unsubscribed");
      // A chat no customer linked: nothing to change, still 200.
      assert.equal((await post(chatMember(5999, "member"))).statusCode, 200);
      assert.equal(await customerByTelegramChat(ctx.resources, ctx.alpha.businessId, "5999"), null);
    });

    it("registers the webhook at this business's URL with the secret the handler checks", async () => {
      telegram.webhook = null;
      const saved = await setUp();
      assert.deepEqual(
        saved.webhook,
        { ok: true, message: "Webhook was set" },
        "saving the set-up registers it",
      );
      const registered = telegram.webhook as { url: string } | null;
      assert.equal(registered?.url, `${PUBLIC_URL}/webhooks/${ctx.alpha.businessId}/telegram`);
      const config = {
        botToken: telegram.botToken,
        botUsername: telegram.botUsername,
        apiBaseUrl: telegram.url,
      };
      const set = await connectTelegramWebhook(ctx.resources, ctx.alpha.businessId, config, `${PUBLIC_URL}/`);
      assert.deepEqual(set, { ok: true, description: "Webhook was set" });
      assert.deepEqual(telegram.webhook, {
        url: `${PUBLIC_URL}/webhooks/${ctx.alpha.businessId}/telegram`,
        secretToken: await secret(),
        allowedUpdates: ["message", "my_chat_member"],
      });
    });

    it("sends to the linked chat, and a send the user blocked ends their telegram subscription", async () => {
      await setUp();
      const id = await newCustomer();
      await post(start(5006, `/start ${await linkToken(id)}`));
      telegram.addChat("5006");
      const template = await createTemplate(ctx.resources, ctx.alpha.businessId, {
        name: "Shipped",
        channel: "telegram",
        body: "Your order shipped",
      });
      const options = { providers: localProviders(), publicUrl: PUBLIC_URL, random: () => 0.5 };
      const queue = () =>
        queueDelivery(ctx.resources, {
          businessId: ctx.alpha.businessId,
          customerId: id,
          channel: "telegram",
          templateId: template.id,
        });
      try {
        const first = await queue();
        await dispatchDue(ctx.resources, options);
        const sent = await deliveryRow(ctx.resources, ctx.alpha.businessId, first.id);
        assert.equal(sent.status, "sent");
        const message = telegram.messages.at(-1)!;
        assert.deepEqual([message.chatId, message.text], ["5006", "Your order shipped"]);
        assert.equal(sent.message_id, `5006:${message.messageId}`);

        telegram.block("5006");
        const second = await queue();
        await dispatchDue(ctx.resources, options);
        const failed = await deliveryRow(ctx.resources, ctx.alpha.businessId, second.id);
        assert.equal(failed.status, "failed");
        assert.match(JSON.stringify(failed.detail), /bot was blocked by the user/);
        assert.equal((await profile(id)).subscriptions.telegram, "unsubscribed");
      } finally {
        await options.providers.close();
      }
    });
  });
}
