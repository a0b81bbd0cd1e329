import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  startTestPushService,
  type TestPushService,
} from "../packages/server/src/channels/test-push-service";
import { startTestSmtpServer, type TestSmtpServer } from "../packages/server/src/channels/test-smtp-server";
import {
  startTestTelegramServer,
  type TestTelegramServer,
} from "../packages/server/src/channels/test-telegram-server";
import {
  startTestTwilioServer,
  type TestTwilioServer,
} from "../packages/server/src/channels/test-twilio-server";
import {
  startTestWhatsappServer,
  type TestWhatsappServer,
} from "../packages/server/src/channels/test-whatsapp-server";
import { twilioSignature } from "../packages/server/src/channels/twilio-webhook";
import { type Business, client, createBusiness, createPgDatabase, DAY, PG_SKIP, testEnv } from "./harness";
import { freePort, startCli, waitForOk } from "./process";

/**
 * One journey on all five channels, black-box: `journeys start` with a manual clock, every
 * provider's local stand-in (a real SMTP server; Twilio, WhatsApp Cloud, Telegram and a Web Push
 * service following their documented APIs), set up over the management API. "Order Completed"
 * at 21:30 in Berlin → email (deferred by quiet hours to 08:00 the next morning) → WhatsApp free
 * text outside the 24-hour window, falling back to SMS → Telegram → push → a day later an SMS the
 * customer has meanwhile answered STOP to. A second customer without consent or addresses is
 * skipped at each step, and moves on.
 */
const STORES = [
  { name: "sqlite", skip: false as string | false },
  { name: "postgres", skip: PG_SKIP },
];
const PUBLIC_URL = "https://journeys.example";
// Monday 4 March 2030, 21:30 in Berlin (CET, UTC+1): inside quiet hours 21:00–08:00.
const EVENING = Date.UTC(2030, 2, 4, 20, 30);
const EIGHT_NEXT_MORNING = Date.UTC(2030, 2, 5, 7, 0);
const ADA_PHONE = "+4915112345678";
const ADA_CHAT = "777001";

interface Upstreams {
  smtp: TestSmtpServer;
  twilio: TestTwilioServer;
  whatsapp: TestWhatsappServer;
  telegram: TestTelegramServer;
  push: TestPushService;
}

for (const store of STORES) {
  describe(`[${store.name}] e2e: a journey on every channel`, { skip: store.skip }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "journeys-e2e-omni-"));
    const up = {} as Upstreams;
    let server: ReturnType<typeof startCli> | undefined;
    let dropDatabase = async () => {};
    let http: ReturnType<typeof client>;
    let business: Business;
    let baseUrl = "";
    let journeyId = "";
    const ids = { ada: "", bob: "" };

    const post = async (path: string, body: string | object, headers: Record<string, string>) => {
      const response = await fetch(`${baseUrl}${path}`, {
        method: "POST",
        headers,
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: response.status, text: await response.text() };
    };
    const trail = async (customer: string) => {
      const { data } = await http.api("GET", `/journeys/${journeyId}/enrollments?customerId=${customer}`);
      assert.equal(data.length, 1);
      const enrollment = await http.api("GET", `/journeys/${journeyId}/enrollments/${data[0].id}`);
      return enrollment.trail.filter((e: { type: string }) =>
        ["sent", "skipped", "deferred", "failed"].includes(e.type),
      ) as Array<{
        type: string;
        nodeId: string;
        channel: string;
        reason?: string;
        fallbackTo?: string;
      }>;
    };
    const summary = async (customer: string) =>
      (await trail(customer)).map(
        (e) => `${e.nodeId}:${e.channel}:${e.type}${e.reason ? `:${e.reason}` : ""}`,
      );

    before(async () => {
      up.smtp = await startTestSmtpServer();
      up.twilio = await startTestTwilioServer();
      up.whatsapp = await startTestWhatsappServer();
      up.telegram = await startTestTelegramServer();
      up.push = await startTestPushService();
      up.telegram.addChat(ADA_CHAT);
      let databaseUrl = "";
      if (store.name === "postgres") {
        const database = await createPgDatabase();
        databaseUrl = database.url;
        dropDatabase = database.drop;
      }
      const port = await freePort();
      const env = {
        ...testEnv(dataDir, databaseUrl, "warn"),
        PORT: String(port),
        JOURNEYS_PUBLIC_URL: PUBLIC_URL,
      };
      business = await createBusiness(env);
      server = startCli(["start", "--no-demo"], env);
      baseUrl = `http://127.0.0.1:${port}`;
      await waitForOk(`${baseUrl}/readyz`, 20_000);
      http = client(baseUrl, business);
      await http.clockTo(EVENING);
    });

    after(async () => {
      if (server) {
        const exited = new Promise((resolve) => server?.child.on("exit", resolve));
        server.child.kill("SIGTERM");
        await exited;
      }
      await Promise.all([
        up.smtp?.close(),
        up.twilio?.close(),
        up.whatsapp?.close(),
        up.telegram?.close(),
        up.push?.close(),
      ]);
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("sets up all five channels, quiet hours and the journey", async () => {
      await http.api("PUT", "/channels/email", {
        provider: "smtp",
        host: "127.0.0.1",
        port: up.smtp.port,
        secure: false,
        from: "Shop <news@shop.test>",
      });
      await http.api("PUT", "/channels/sms", {
        provider: "twilio",
        accountSid: up.twilio.accountSid,
        authToken: up.twilio.authToken,
        from: "+15005550006",
        apiBaseUrl: up.twilio.url,
      });
      await http.api("PUT", "/channels/whatsapp", {
        provider: "whatsapp_cloud",
        phoneNumberId: up.whatsapp.phoneNumberId,
        accessToken: up.whatsapp.accessToken,
        appSecret: "0123456789abcdef0123456789abcdef",
        verifyToken: "e2e-verify-token",
        apiBaseUrl: up.whatsapp.url,
      });
      const telegram = await http.api("PUT", "/channels/telegram", {
        provider: "telegram",
        botToken: up.telegram.botToken,
        botUsername: up.telegram.botUsername,
        apiBaseUrl: up.telegram.url,
      });
      assert.equal(telegram.webhook?.ok, true, "the bot's webhook is registered");
      assert.equal(up.telegram.webhook?.url, `${PUBLIC_URL}/webhooks/${business.businessId}/telegram`);
      const push = await http.api("PUT", "/channels/push", {
        provider: "webpush",
        subject: "mailto:ops@shop.test",
      });
      assert.match(push.vapidPublicKey, /^[A-Za-z0-9_-]{80,90}$/);
      const channels = await http.api("GET", "/channels");
      assert.deepEqual(channels.data.map((c: { channel: string }) => c.channel).sort(), [
        "email",
        "push",
        "sms",
        "telegram",
        "whatsapp",
      ]);
      assert.doesNotMatch(
        JSON.stringify(channels),
        new RegExp(`${up.twilio.authToken}|${up.telegram.botToken}`),
      );

      await http.api("PATCH", "", {
        settings: { timezone: "Europe/Berlin", quietHours: { start: "21:00", end: "08:00" } },
      });

      const template = (channel: string, fields: object, name = `${channel} step`) =>
        http.api("POST", "/templates", { name, channel, ...fields });
      const welcome = await template("email", {
        subject: "Thanks, {{ customer.firstName }}!",
        body: "<p>Hi {{ customer.firstName }}, your order {{ event.orderId }} is confirmed.</p>",
      });
      const whatsapp = await template("whatsapp", {
        body: "Hi {{ customer.firstName }}, order {{ event.orderId }} is packed.",
      });
      const smsInstead = await template("sms", {
        body: "Hi {{ customer.firstName }}, order {{ event.orderId }} is packed (SMS).",
      });
      const telegramNote = await template("telegram", {
        body: "Order {{ event.orderId }} left our warehouse.",
      });
      const pushNote = await template("push", {
        title: "On its way, {{ customer.firstName }}",
        body: "Order {{ event.orderId }} arrives tomorrow.",
        url: "https://shop.test/orders/{{ event.orderId }}",
      });
      const review = await template(
        "sms",
        { body: "How was order {{ event.orderId }}? Reply 1-5." },
        "Review request",
      );
      const journey = await http.api("POST", "/journeys", {
        name: "Order updates everywhere",
        trigger: { type: "event", event: "Order Completed" },
        start: "welcome",
        nodes: {
          welcome: { type: "message", channel: "email", templateId: welcome.id, next: "packed" },
          packed: {
            type: "message",
            channel: "whatsapp",
            templateId: whatsapp.id,
            fallback: ["sms"],
            fallbackTemplates: { sms: smsInstead.id },
            next: "shipped",
          },
          shipped: { type: "message", channel: "telegram", templateId: telegramNote.id, next: "nudge" },
          nudge: { type: "message", channel: "push", templateId: pushNote.id, next: "wait" },
          wait: { type: "delay", amount: 1, unit: "days", next: "review" },
          review: { type: "message", channel: "sms", templateId: review.id, next: null },
        },
      });
      journeyId = journey.id;
      assert.equal((await http.api("POST", `/journeys/${journeyId}/activate`)).status, "active");
    });

    it("links the customer's addresses: Telegram by the deep link, push by the browser's subscription", async () => {
      await http.ingest("identify", {
        userId: "ada",
        traits: {
          email: "ada@example.com",
          phone: ADA_PHONE,
          firstName: "Ada",
          subscriptions: { email: "subscribed", sms: "subscribed", whatsapp: "subscribed" },
        },
      });
      await http.ingest("identify", {
        userId: "bob",
        traits: { email: "bob@example.com", firstName: "Bob", subscriptions: { email: "unsubscribed" } },
      });
      ids.ada = (await http.api("GET", "/customers?userId=ada")).data[0].id;
      ids.bob = (await http.api("GET", "/customers?userId=bob")).data[0].id;

      const { url } = await http.api("GET", `/customers/${ids.ada}/telegram-link`);
      const start = new URL(url).searchParams.get("start");
      assert.match(url, new RegExp(`^https://t\\.me/${up.telegram.botUsername}\\?start=`));
      const update = await post(
        `/webhooks/${business.businessId}/telegram`,
        {
          update_id: 1,
          message: {
            message_id: 1,
            date: Math.floor(EVENING / 1000),
            chat: { id: Number(ADA_CHAT), type: "private" },
            from: { id: Number(ADA_CHAT), is_bot: false, first_name: "Ada" },
            text: `/start ${start}`,
          },
        },
        {
          "content-type": "application/json",
          "x-telegram-bot-api-secret-token": String(up.telegram.webhook?.secretToken),
        },
      );
      assert.equal(update.status, 200);

      const { vapidPublicKey } = await http.api("GET", "/channels/push");
      const subscription = up.push.subscribe({ applicationServerKey: vapidPublicKey });
      const saved = await post(
        "/v1/push/subscriptions",
        { userId: "ada", subscription: { endpoint: subscription.endpoint, keys: subscription.keys } },
        {
          "content-type": "application/json",
          authorization: `Basic ${Buffer.from(`${business.writeKey}:`).toString("base64")}`,
        },
      );
      assert.ok(saved.status < 300, saved.text);

      const ada = await http.api("GET", `/customers/${ids.ada}`);
      assert.equal(ada.addresses.telegram.chatId, ADA_CHAT);
      assert.equal(ada.addresses.push.length, 1);
      assert.equal(ada.subscriptions.telegram, "subscribed");
      assert.equal(ada.subscriptions.push, "subscribed");
    });

    it("holds the evening's email back until 08:00 in Berlin, and skips the customer without consent at once", async () => {
      await http.ingest("track", {
        userId: "ada",
        event: "Order Completed",
        properties: { orderId: "A-17" },
      });
      await http.ingest("track", { userId: "bob", event: "Order Completed", properties: { orderId: "B-3" } });
      await http.settle();
      for (const sent of [up.smtp.messages, up.twilio.messages, up.telegram.messages, up.push.received])
        assert.equal(sent.length, 0, "nothing goes out in quiet hours");
      // A message step hands its delivery over and the journey moves on: every step's message
      // waits for 08:00, except WhatsApp free text, which cannot go outside the 24-hour window
      // and hands over to SMS, which waits too.
      assert.deepEqual((await summary(ids.ada)).sort(), [
        "nudge:push:deferred:quiet_hours",
        "packed:sms:deferred:quiet_hours",
        "packed:whatsapp:skipped:outside_whatsapp_window",
        "shipped:telegram:deferred:quiet_hours",
        "welcome:email:deferred:quiet_hours",
      ]);
      const deferred = (await http.api("GET", `/deliveries?customerId=${ids.ada}`)).data as Array<{
        channel: string;
        status: string;
        reason: string;
        nextAttemptAt?: number;
      }>;
      assert.deepEqual(
        deferred.map((d) => `${d.channel}:${d.status}:${d.reason}:${d.nextAttemptAt ?? "-"}`).sort(),
        [
          `email:deferred:quiet_hours:${EIGHT_NEXT_MORNING}`,
          `push:deferred:quiet_hours:${EIGHT_NEXT_MORNING}`,
          `sms:deferred:quiet_hours:${EIGHT_NEXT_MORNING}`,
          `telegram:deferred:quiet_hours:${EIGHT_NEXT_MORNING}`,
          "whatsapp:skipped:outside_whatsapp_window:-",
        ],
      );
      // Bob: no email consent, no phone, no chat, no device — skipped at each step, moving on to the delay.
      assert.deepEqual((await summary(ids.bob)).sort(), [
        "nudge:push:skipped:no_push_subscription",
        "packed:sms:skipped:no_phone",
        "packed:whatsapp:skipped:no_phone",
        "shipped:telegram:skipped:no_telegram_chat",
        "welcome:email:skipped:no_consent",
      ]);

      await http.clockTo(EIGHT_NEXT_MORNING - 60_000);
      await http.settle();
      assert.equal(up.smtp.messages.length, 0, "07:59 is still quiet");
    });

    it("sends at 08:00 on every channel, WhatsApp falling back to SMS outside the 24-hour window", async () => {
      await http.clockTo(EIGHT_NEXT_MORNING);
      await http.settle();

      assert.equal(up.smtp.messages.length, 1);
      assert.equal(up.smtp.messages[0]?.subject, "Thanks, Ada!");
      assert.match(up.smtp.messages[0]?.html || "", /your order A-17 is confirmed/);

      assert.equal(up.whatsapp.messages.length, 0, "no free text outside the customer-service window");
      assert.deepEqual(
        up.twilio.messages.map((m) => [m.to, m.body]),
        [[ADA_PHONE, "Hi Ada, order A-17 is packed (SMS)."]],
      );
      assert.equal(
        up.twilio.messages[0]?.statusCallback,
        `${PUBLIC_URL}/webhooks/${business.businessId}/twilio`,
      );
      assert.deepEqual(
        up.telegram.messages.map((m) => [m.chatId, m.text]),
        [[ADA_CHAT, "Order A-17 left our warehouse."]],
      );
      assert.equal(up.push.received.length, 1);
      assert.deepEqual(up.push.received[0]?.payload, {
        title: "On its way, Ada",
        body: "Order A-17 arrives tomorrow.",
        url: "https://shop.test/orders/A-17",
      });

      const steps = await trail(ids.ada);
      assert.deepEqual(
        steps
          .filter((e) => e.type !== "deferred")
          .map((e) => `${e.nodeId}:${e.channel}:${e.type}${e.reason ? `:${e.reason}` : ""}`)
          .sort(),
        [
          "nudge:push:sent",
          "packed:sms:sent",
          "packed:whatsapp:skipped:outside_whatsapp_window",
          "shipped:telegram:sent",
          "welcome:email:sent",
        ],
      );
      const handedOver = steps.find((e) => e.channel === "whatsapp");
      assert.equal(handedOver?.fallbackTo, "sms", "the trail says which channel took over");
    });

    it("takes a STOP reply by SMS, and the next day's SMS is skipped for it", async () => {
      const path = `/webhooks/${business.businessId}/twilio`;
      const params = {
        MessageSid: `SM${"e".repeat(32)}`,
        AccountSid: up.twilio.accountSid,
        From: ADA_PHONE,
        To: "+15005550006",
        Body: "STOP",
      };
      const stop = await post(path, new URLSearchParams(params).toString(), {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": twilioSignature(up.twilio.authToken, `${PUBLIC_URL}${path}`, params),
      });
      assert.equal(stop.status, 200);
      assert.equal((await http.api("GET", `/customers/${ids.ada}`)).subscriptions.sms, "unsubscribed");

      // The packed-step SMS's delivery report moves its delivery forward.
      const sid = up.twilio.messages[0]!.sid;
      const status = { MessageSid: sid, AccountSid: up.twilio.accountSid, MessageStatus: "delivered" };
      const delivered = await post(path, new URLSearchParams(status).toString(), {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": twilioSignature(up.twilio.authToken, `${PUBLIC_URL}${path}`, status),
      });
      assert.equal(delivered.status, 204);

      await http.advance(DAY);
      await http.settle();
      assert.equal(up.twilio.messages.length, 1, "no SMS after STOP");
      const steps = await summary(ids.ada);
      assert.equal(steps.at(-1), "review:sms:skipped:no_consent");
      const deliveries = (await http.api("GET", `/deliveries?customerId=${ids.ada}`)).data as Array<{
        channel: string;
        nodeId: string;
        status: string;
        providerMessageId?: string;
      }>;
      const packedSms = deliveries.find((d) => d.channel === "sms" && d.nodeId === "packed");
      assert.equal(packedSms?.status, "delivered");
      assert.equal(packedSms?.providerMessageId, sid);
      assert.deepEqual(deliveries.map((d) => d.channel).sort(), [
        "email",
        "push",
        "sms",
        "sms",
        "telegram",
        "whatsapp",
      ]);
    });
  });
}
