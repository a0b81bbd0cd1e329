import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, expect } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { findChannelSetup } from "./setup";

const smtp = {
  provider: "smtp",
  host: "smtp.example.com",
  port: 587,
  secure: false,
  username: "apikey",
  password: "s3cret-password",
  from: "Shop <news@shop.example>",
};

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] channel set-up API`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);

    it("sets up email over SMTP and never returns the password", async () => {
      const put = await api(ctx, ctx.alpha, "PUT", "/channels/email", smtp).then(expect(200));
      const { password: _p, ...shown } = smtp;
      assert.deepEqual(
        { ...put, updatedAt: 0 },
        { channel: "email", ...shown, passwordSet: true, updatedAt: 0 },
      );
      const list = await api(ctx, ctx.alpha, "GET", "/channels").then(expect(200));
      assert.equal(list.data.length, 1);
      const one = await api(ctx, ctx.alpha, "GET", "/channels/email").then(expect(200));
      for (const body of [JSON.stringify(put), JSON.stringify(list), JSON.stringify(one)]) {
        assert.ok(!body.includes("s3cret"), "the password never leaves");
      }
      // Saving other fields without the password keeps it.
      const again = await api(ctx, ctx.alpha, "PUT", "/channels/email", {
        ...smtp,
        password: undefined,
        from: "News <news@shop.example>",
      }).then(expect(200));
      assert.equal(again.from, "News <news@shop.example>");
      assert.equal(again.passwordSet, true);
      await api(ctx, ctx.beta, "GET", "/channels/email").then(expect(404));
      assert.deepEqual((await api(ctx, ctx.beta, "GET", "/channels").then(expect(200))).data, []);

      await api(ctx, ctx.alpha, "DELETE", "/channels/email").then(expect(204));
      await api(ctx, ctx.alpha, "GET", "/channels/email").then(expect(404));
      await api(ctx, ctx.alpha, "DELETE", "/channels/email").then(expect(404));
    });

    it("keeps the stored password only for the same host, port and username", async () => {
      await api(ctx, ctx.alpha, "PUT", "/channels/email", smtp).then(expect(200));
      const { provider: _provider, ...config } = smtp;
      const stored = async () =>
        (await findChannelSetup(ctx.resources, ctx.alpha.businessId, "email"))?.config;
      for (const change of [
        { host: "evil.example", port: 25 },
        { host: "evil.example" },
        { port: 2525 },
        { username: "someone-else" },
      ]) {
        const refused = await api(ctx, ctx.alpha, "PUT", "/channels/email", {
          ...smtp,
          password: undefined,
          ...change,
        }).then(expect(400));
        assert.equal(refused.error.code, "invalid_channel_setup");
        assert.equal(
          refused.error.message,
          "password must be sent again: the SMTP host, port or username changed",
        );
        assert.deepEqual(
          refused.error.details.fields.map((f: { field: string }) => f.field),
          ["password"],
        );
        assert.deepEqual(await stored(), config, "the stored set-up is unchanged");
      }
      const moved = await api(ctx, ctx.alpha, "PUT", "/channels/email", {
        ...smtp,
        host: "smtp.other.example",
        password: "new-password",
      }).then(expect(200));
      assert.equal(moved.host, "smtp.other.example");
      assert.equal((await stored())?.password, "new-password");
    });

    it("refuses a wrong set-up, naming the fields", async () => {
      const bad = await api(ctx, ctx.alpha, "PUT", "/channels/email", {
        provider: "smtp",
        host: "smtp.example.com",
        port: "587",
        username: "u",
        from: "not an address",
      }).then(expect(400));
      assert.equal(bad.error.code, "invalid_channel_setup");
      assert.deepEqual(
        bad.error.details.fields.map((f: { field: string }) => f.field),
        ["port", "password", "from"],
      );
      const provider = await api(ctx, ctx.alpha, "PUT", "/channels/email", {
        ...smtp,
        provider: "sendgrid",
      }).then(expect(400));
      assert.match(provider.error.message, /provider must be one of smtp/);
      await api(ctx, ctx.alpha, "PUT", "/channels/sms", { provider: "twilio" }).then(expect(400));
      await api(ctx, ctx.alpha, "PUT", "/channels/fax", smtp).then(expect(404));
    });
  });
}
