import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { queueDelivery } from "../dispatcher/testing";
import { api, expect } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { keywordOf } from "./consent-keywords";
import { twilioSignature } from "./twilio-webhook";

const PUBLIC_URL = "https://journeys.example";
const accountSid = `AC${"1".repeat(32)}`;
const authToken = "t".repeat(32);

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] twilio webhook`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect, { publicUrl: PUBLIC_URL });
    const path = () => `/webhooks/${ctx.alpha.businessId}/twilio`;
    const post = (params: Record<string, string>, signature?: string) =>
      ctx.app.inject({
        method: "POST",
        url: path(),
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-twilio-signature": signature ?? twilioSignature(authToken, `${PUBLIC_URL}${path()}`, params),
        },
        payload: new URLSearchParams(params).toString(),
      });
    const setUp = () =>
      api(ctx, ctx.alpha, "PUT", "/channels/sms", {
        provider: "twilio",
        accountSid,
        authToken,
        from: "+15005550006",
      }).then(expect(200));
    const customer = async (phone: string) =>
      (
        await api(ctx, ctx.alpha, "POST", "/customers", { phone, subscriptions: { sms: "subscribed" } }).then(
          expect(201),
        )
      ).id as string;
    const smsStatus = async (id: string) =>
      (await api(ctx, ctx.alpha, "GET", `/customers/${id}`).then(expect(200))).subscriptions.sms;
    const inbound = (from: string, body: string) => ({
      MessageSid: `SM${"9".repeat(32)}`,
      SmsSid: `SM${"9".repeat(32)}`,
      AccountSid: accountSid,
      From: from,
      To: "+15005550006",
      Body: body,
      NumMedia: "0",
    });

    it("is not there until the business sets SMS up with Twilio", async () => {
      const response = await post(inbound("+4915112345678", "STOP"));
      assert.equal(response.statusCode, 404);
    });

    it("refuses a call without Twilio's signature and changes nothing", async () => {
      await setUp();
      const id = await customer("+4915112345601");
      for (const signature of [
        "",
        "bm90IGl0",
        twilioSignature("other-token", `${PUBLIC_URL}${path()}`, inbound("+4915112345601", "STOP")),
      ]) {
        const response = await post(inbound("+4915112345601", "STOP"), signature);
        assert.equal(response.statusCode, 403);
      }
      // Signed for another URL (a replay against another business's path).
      const params = inbound("+4915112345601", "STOP");
      const elsewhere = twilioSignature(authToken, `${PUBLIC_URL}/webhooks/bus_other/twilio`, params);
      assert.equal((await post(params, elsewhere)).statusCode, 403);
      assert.equal(await smsStatus(id), "subscribed");
    });

    it("unsubscribes on STOP (and its synonyms), subscribes on START, answers HELP", async () => {
      await setUp();
      const id = await customer("+4915112345602");
      for (const word of ["STOP", " stop ", "Unsubscribe", "cancel", "END", "quit", "STOPALL"]) {
        await api(ctx, ctx.alpha, "PATCH", `/customers/${id}`, { subscriptions: { sms: "subscribed" } }).then(
          expect(200),
        );
        const response = await post(inbound("+4915112345602", word));
        assert.equal(response.statusCode, 200);
        assert.match(response.headers["content-type"] as string, /xml/);
        assert.equal(await smsStatus(id), "unsubscribed", word);
      }
      await post(inbound("+4915112345602", "START"));
      assert.equal(await smsStatus(id), "subscribed");
      await post(inbound("+4915112345602", "stop please"));
      assert.equal(await smsStatus(id), "subscribed", "only the keyword alone counts");
      const help = await post(inbound("+4915112345602", "HELP"));
      assert.match(help.body, /<Response><Message>Alpha: reply STOP to unsubscribe/);
      // An unknown number's STOP is answered and stores nothing.
      assert.equal((await post(inbound("+14155550111", "STOP"))).statusCode, 200);
    });

    it("moves a sent message forward on status callbacks, in any order, and records why it failed", async () => {
      await setUp();
      const sent = async (sid: string) => {
        const { id } = await queueDelivery(ctx.resources, {
          businessId: ctx.alpha.businessId,
          customerId: "cus_x",
          templateId: "tpl_x",
          channel: "sms",
        });
        await ctx.store.db
          .updateTable("deliveries")
          .set({ status: "sent", message_id: sid })
          .where("id", "=", id)
          .execute();
        return id;
      };
      const status = async (id: string) =>
        await ctx.store.db
          .selectFrom("deliveries")
          .select(["status", "detail"])
          .where("id", "=", id)
          .executeTakeFirstOrThrow();
      const callback = (sid: string, MessageStatus: string, extra: Record<string, string> = {}) =>
        post({
          AccountSid: accountSid,
          MessageSid: sid,
          SmsSid: sid,
          MessageStatus,
          SmsStatus: MessageStatus,
          ...extra,
        });

      const a = await sent("SMaaa");
      for (const s of ["delivered", "sent", "queued", "delivered"])
        assert.equal((await callback("SMaaa", s)).statusCode, 204);
      assert.equal((await status(a)).status, "delivered");

      const b = await sent("SMbbb");
      await callback("SMbbb", "undelivered", { ErrorCode: "30003" });
      await callback("SMbbb", "delivered");
      const failed = await status(b);
      assert.equal(failed.status, "failed");
      assert.match(JSON.stringify(failed.detail), /30003/);
      // Another account's callback, even signed with this token, is refused.
      const foreign = await post({
        AccountSid: `AC${"2".repeat(32)}`,
        MessageSid: "SMaaa",
        MessageStatus: "failed",
      });
      assert.equal(foreign.statusCode, 403);
    });
  });
}

describe("sms keywords", () => {
  it("knows the opt-out, opt-in and help words, and nothing else", () => {
    assert.equal(keywordOf("STOP"), "stop");
    assert.equal(keywordOf("stopall"), "stop");
    assert.equal(keywordOf("unstop"), "start");
    assert.equal(keywordOf("Help"), "help");
    assert.equal(keywordOf("stop it"), null);
    assert.equal(keywordOf(""), null);
  });

  it("signs as Twilio documents it", () => {
    // Twilio's documented example (https://www.twilio.com/docs/usage/security#validating-requests).
    const params = {
      CallSid: "CA1234567890ABCDE",
      Caller: "+12349013030",
      Digits: "1234",
      From: "+12349013030",
      To: "+18005551212",
    };
    assert.equal(
      twilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params),
      "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
    );
  });
});
