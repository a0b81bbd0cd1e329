import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { customerById } from "../customers/find";
import { deliveryRow, queueDelivery } from "../dispatcher/testing";
import { api, expect } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { inboundText, messagesChange, postWhatsappWebhook } from "./test-whatsapp-server";
import { keywordConsent, whatsappSignature } from "./whatsapp-webhook";

const APP_SECRET = "fedcba9876543210fedcba9876543210";
const VERIFY_TOKEN = "a-token-only-meta-and-we-know";
const PHONE_NUMBER_ID = "106540352242922";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] whatsapp webhook`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const businessId = () => ctx.alpha.businessId;
    const post = (payload: unknown, signature?: string) =>
      postWhatsappWebhook(ctx.app, businessId(), APP_SECRET, payload, signature ? { signature } : {});
    const handshake = (query: Record<string, string>) =>
      ctx.app.inject({
        method: "GET",
        url: `/webhooks/${businessId()}/whatsapp?${new URLSearchParams(query)}`,
      });
    const sentDelivery = async (messageId: string) => {
      const { id } = await queueDelivery(ctx.resources, {
        businessId: businessId(),
        customerId: "cus_wa",
        templateId: "tpl_wa",
        channel: "whatsapp",
      });
      await ctx.store.db
        .updateTable("deliveries")
        .set({ status: "sent", message_id: messageId })
        .where("id", "=", id)
        .execute();
      return id;
    };
    const customer = async (phone: string) =>
      (
        await api(ctx, ctx.alpha, "POST", "/customers", {
          phone,
          subscriptions: { whatsapp: "subscribed" },
        }).then(expect(201))
      ).id as string;
    // From the store: the API's customer view does not show the WhatsApp window.
    const read = async (id: string) => (await customerById(ctx.resources, businessId(), id))!;

    it("is not there until the business sets WhatsApp up with the Cloud API", async () => {
      const response = await handshake({
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1",
      });
      assert.equal(response.statusCode, 404);
    });

    it("answers Meta's handshake with the challenge only for the set-up's verify token", async () => {
      await api(ctx, ctx.alpha, "PUT", "/channels/whatsapp", {
        provider: "whatsapp_cloud",
        phoneNumberId: PHONE_NUMBER_ID,
        accessToken: "EAAGm0PX4ZCpsBAtesttoken",
        appSecret: APP_SECRET,
        verifyToken: VERIFY_TOKEN,
        apiBaseUrl: "http://127.0.0.1:9",
      }).then(expect(200));
      const ok = await handshake({
        "hub.mode": "subscribe",
        "hub.challenge": "1158201444",
        "hub.verify_token": VERIFY_TOKEN,
      });
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.body, "1158201444");
      assert.match(String(ok.headers["content-type"]), /^text\/plain/);
      const refusals: Array<Record<string, string>> = [
        { "hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "wrong" },
        { "hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": `${VERIFY_TOKEN}x` },
        { "hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": VERIFY_TOKEN },
        { "hub.mode": "subscribe", "hub.challenge": "1" },
      ];
      for (const query of refusals) {
        const refused = await handshake(query);
        assert.equal(refused.statusCode, 403, JSON.stringify(query));
        assert.ok(!refused.body.includes("1158201444"));
      }
      // Another business has no WhatsApp set-up: its path does not exist.
      const other = await ctx.app.inject({
        method: "GET",
        url: `/webhooks/${ctx.beta.businessId}/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`,
      });
      assert.equal(other.statusCode, 404);
    });

    it("refuses a call whose signature does not match, and changes nothing", async () => {
      const id = await sentDelivery("wamid.unsigned");
      const person = await customer("+4915112345601");
      const payload = messagesChange(PHONE_NUMBER_ID, {
        statuses: [{ id: "wamid.unsigned", status: "read", timestamp: "1", recipient_id: "4915112345601" }],
        messages: [inboundText("4915112345601", "STOP", Date.now())],
      });
      const raw = JSON.stringify(payload);
      for (const signature of [
        "sha256=00",
        whatsappSignature("0".repeat(32), raw),
        whatsappSignature(APP_SECRET, `${raw} `),
        whatsappSignature(APP_SECRET, raw).replace("sha256=", "sha1="),
      ]) {
        const response = await post(payload, signature);
        assert.equal(response.statusCode, 403, signature);
      }
      const missing = await ctx.app.inject({
        method: "POST",
        url: `/webhooks/${businessId()}/whatsapp`,
        headers: { "content-type": "application/json" },
        payload: raw,
      });
      assert.equal(missing.statusCode, 403);
      assert.equal((await deliveryRow(ctx.resources, businessId(), id)).status, "sent");
      const after = await read(person);
      assert.equal(after.subscriptions.whatsapp, "subscribed");
      assert.equal(after.addresses.whatsapp, undefined);
    });

    it("moves statuses only forward, in any order and repeated, and records a failure's code", async () => {
      const id = await sentDelivery("wamid.ooo");
      const status = (s: string) =>
        messagesChange(PHONE_NUMBER_ID, { statuses: [{ id: "wamid.ooo", status: s }] });
      for (const s of ["read", "delivered", "delivered", "sent", "failed", "read"]) {
        const response = await post(status(s));
        assert.equal(response.statusCode, 200);
      }
      assert.equal((await deliveryRow(ctx.resources, businessId(), id)).status, "opened");

      const failed = await sentDelivery("wamid.late");
      await post(
        messagesChange(PHONE_NUMBER_ID, {
          statuses: [
            {
              id: "wamid.late",
              status: "failed",
              recipient_id: "4915112345678",
              errors: [{ code: 131047, title: "Re-engagement message" }],
            },
          ],
        }),
      ).then((r) => assert.equal(r.statusCode, 200));
      // A "delivered" arriving after the failure does not undo it.
      await post(messagesChange(PHONE_NUMBER_ID, { statuses: [{ id: "wamid.late", status: "delivered" }] }));
      const row = await deliveryRow(ctx.resources, businessId(), failed);
      assert.equal(row.status, "failed");
      assert.deepEqual(row.detail, {
        reason: "failed",
        code: "131047",
        message: "WhatsApp reported the message failed (#131047) Re-engagement message",
      });
    });

    it("opens the customer's 24-hour window on an inbound message, never moving it back", async () => {
      const person = await customer("+4915112345602");
      const at = Date.now() - 60_000;
      await post(
        messagesChange(PHONE_NUMBER_ID, {
          messages: [inboundText("4915112345602", "Where is my order?", at)],
        }),
      );
      const opened = await read(person);
      assert.deepEqual(opened.addresses.whatsapp, { lastInboundAt: Math.floor(at / 1000) * 1000 });
      const shown = await api(ctx, ctx.alpha, "GET", `/customers/${person}`).then(expect(200));
      assert.deepEqual(shown.addresses.whatsapp, opened.addresses.whatsapp, "the API shows the window");
      assert.equal(opened.subscriptions.whatsapp, "subscribed", "an ordinary message changes no consent");
      // An older message arriving late leaves the window where it was.
      await post(
        messagesChange(PHONE_NUMBER_ID, {
          messages: [inboundText("4915112345602", "hello?", at - 3_600_000)],
        }),
      );
      assert.deepEqual((await read(person)).addresses.whatsapp, opened.addresses.whatsapp);
      // A message to another number of the same Meta app is not this set-up's.
      const stranger = await customer("+4915112345603");
      await post(messagesChange("999999999999999", { messages: [inboundText("4915112345603", "hi", at)] }));
      assert.equal((await read(stranger)).addresses.whatsapp, undefined);
      // A number no customer has is ignored.
      const unknown = await post(
        messagesChange(PHONE_NUMBER_ID, { messages: [inboundText("4915112340000", "hi", at)] }),
      );
      assert.equal(unknown.statusCode, 200);
    });

    it("unsubscribes on STOP and its kin, and subscribes again on START", async () => {
      const person = await customer("+4915112345604");
      await post(
        messagesChange(PHONE_NUMBER_ID, { messages: [inboundText("4915112345604", "  stop ", Date.now())] }),
      );
      const stopped = await read(person);
      assert.equal(stopped.subscriptions.whatsapp, "unsubscribed");
      assert.equal(typeof stopped.addresses.whatsapp?.lastInboundAt, "number");
      await post(
        messagesChange(PHONE_NUMBER_ID, { messages: [inboundText("4915112345604", "START", Date.now())] }),
      );
      assert.equal((await read(person)).subscriptions.whatsapp, "subscribed");
      await post(
        messagesChange(PHONE_NUMBER_ID, {
          messages: [inboundText("4915112345604", "Unsubscribe", Date.now())],
        }),
      );
      assert.equal((await read(person)).subscriptions.whatsapp, "unsubscribed");
      assert.equal((await read(person)).subscriptions.sms, undefined, "only WhatsApp consent changes");
    });
  });
}

describe("whatsapp consent keywords", () => {
  it("are the SMS words, on the whole trimmed text, any case, text messages only", () => {
    const of = (body: string, type = "text") => keywordConsent({ type, text: { body } });
    for (const word of ["STOP", "stopall", " Unsubscribe ", "CANCEL", "end", "QUIT"])
      assert.equal(of(word), "unsubscribed", word);
    for (const word of ["START", "unstop"]) assert.equal(of(word), "subscribed", word);
    for (const word of ["stop it", "please stop", "HELP", ""]) assert.equal(of(word), null, word);
    assert.equal(of("STOP", "button"), null);
  });
});
