import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, expect } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { startTestSmtpServer } from "./test-smtp-server";
import { startTestTwilioServer, type TestTwilioServer } from "./test-twilio-server";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] channel "send test"`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    let twilio: TestTwilioServer;
    before(async () => {
      twilio = await startTestTwilioServer();
    });
    after(() => twilio.close());

    it("sends through the stored set-up and answers what the provider said", async () => {
      await api(ctx, ctx.alpha, "POST", "/channels/sms/test", { to: "+4915112345678" }).then(expect(404));
      await api(ctx, ctx.alpha, "PUT", "/channels/sms", {
        provider: "twilio",
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        from: "+15005550006",
        apiBaseUrl: twilio.url,
      }).then(expect(200));
      const sent = await api(ctx, ctx.alpha, "POST", "/channels/sms/test", { to: "+49 151 12345678" }).then(
        expect(200),
      );
      assert.equal(sent.ok, true);
      assert.equal(sent.providerMessageId, twilio.messages.at(-1)?.sid);
      assert.equal(twilio.messages.at(-1)?.to, "+4915112345678");

      twilio.unsubscribed.add("+14155550100");
      const refused = await api(ctx, ctx.alpha, "POST", "/channels/sms/test", { to: "+14155550100" }).then(
        expect(200),
      );
      assert.deepEqual({ ok: refused.ok, kind: refused.kind }, { ok: false, kind: "permanent" });
      assert.match(refused.message, /21610/);

      const bad = await api(ctx, ctx.alpha, "POST", "/channels/sms/test", { to: "not a number" }).then(
        expect(400),
      );
      assert.equal(bad.error.code, "invalid_test_recipient");
      await api(ctx, ctx.beta, "POST", "/channels/sms/test", { to: "+4915112345678" }).then(expect(404));
    });

    it("sends a test email over SMTP", async () => {
      const smtp = await startTestSmtpServer();
      try {
        await api(ctx, ctx.alpha, "PUT", "/channels/email", {
          provider: "smtp",
          host: "127.0.0.1",
          port: smtp.port,
          secure: false,
          from: "Shop <news@shop.example>",
        }).then(expect(200));
        const sent = await api(ctx, ctx.alpha, "POST", "/channels/email/test", {
          to: "Ada@Example.com",
        }).then(expect(200));
        assert.equal(sent.ok, true);
        const [mail] = await smtp.waitFor(1);
        assert.equal(mail?.messageId, sent.providerMessageId);
      } finally {
        await smtp.close();
      }
    });
  });
}
