import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, expect } from "../segments/testing";
import { readJson, writeJson } from "../store/json";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { SecretBox, SecretUnreadable } from "./secret-box";
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

    it("stores secrets encrypted, bound to their business, channel and field", async () => {
      await api(ctx, ctx.alpha, "PUT", "/channels/email", smtp).then(expect(200));
      const row = async (businessId: string) =>
        ctx.store.db
          .selectFrom("channels")
          .select("config")
          .where("business_id", "=", businessId)
          .where("channel", "=", "email")
          .executeTakeFirstOrThrow();
      const stored = readJson<Record<string, unknown>>((await row(ctx.alpha.businessId)).config)!;
      assert.match(String(stored.password), /^enc:v1:[A-Za-z0-9_-]{40,}$/);
      assert.ok(!JSON.stringify(stored).includes("s3cret"), "no plaintext at rest");
      assert.equal(stored.username, "apikey", "only secrets are encrypted");
      const setup = await findChannelSetup(ctx.resources, ctx.alpha.businessId, "email");
      assert.equal(setup?.config.password, "s3cret-password");

      // Copied into another business's row, the ciphertext does not open.
      await ctx.store.db
        .insertInto("channels")
        .values({
          business_id: ctx.beta.businessId,
          channel: "email",
          provider: "smtp",
          config: writeJson(stored),
          updated_at: 0,
        })
        .execute();
      await assert.rejects(findChannelSetup(ctx.resources, ctx.beta.businessId, "email"), SecretUnreadable);
      // Another key does not open it either, and says what to do.
      const other = { ...ctx.resources, secrets: SecretBox.ephemeral() };
      await assert.rejects(
        findChannelSetup(other, ctx.alpha.businessId, "email"),
        /JOURNEYS_SECRET_KEY is not the key it was stored with/,
      );
      // A set-up stored before encryption still reads, and is encrypted when saved again.
      await ctx.store.db
        .updateTable("channels")
        .set({ config: writeJson({ ...stored, password: "plain-old-password" }) })
        .where("business_id", "=", ctx.beta.businessId)
        .execute();
      assert.equal(
        (await findChannelSetup(ctx.resources, ctx.beta.businessId, "email"))?.config.password,
        "plain-old-password",
      );
      await ctx.store.db.deleteFrom("channels").where("business_id", "=", ctx.beta.businessId).execute();
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
