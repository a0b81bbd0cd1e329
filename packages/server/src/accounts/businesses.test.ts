import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { putChannel } from "../channels/setup";
import { startTestSmtpServer } from "../channels/test-smtp-server";
import { createCustomer } from "../customers/edit";
import { dispatchDue } from "../dispatcher/dispatch";
import { deliveryRow, queueDelivery } from "../dispatcher/testing";
import { api, expect, identify, membershipLog, memberUserIds, send } from "../segments/testing";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";
import { createBusiness } from "./businesses";
import { changeSettings } from "./settings";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] business settings`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const optOut = (emailOptOut: unknown) => api(ctx, ctx.alpha, "PATCH", "", { settings: { emailOptOut } });

    it("switches email to opt-out and back, moving `unknown` consent in and out of email segments", async () => {
      await send(
        ctx,
        ctx.alpha,
        identify("unknown", { email: "unknown@example.com" }),
        identify("in", { email: "in@example.com", subscriptions: { email: "subscribed" } }),
        identify("out", { email: "out@example.com", subscriptions: { email: "unsubscribed" } }),
      );
      const emailable = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Emailable",
        rule: { subscribed: "email" },
      }).then(expect(201));
      const reader = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Reads emailable",
        rule: { inSegment: emailable.id },
      }).then(expect(201));
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, emailable.id), ["in"]);

      const on = await optOut(true).then(expect(200));
      assert.equal(on.settings.emailOptOut, true);
      assert.equal(on.planDetails.id, "growth");
      const got = await api(ctx, ctx.alpha, "GET", "").then(expect(200));
      assert.deepEqual(got, on);
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, emailable.id), ["in", "unknown"]);
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, reader.id), ["in", "unknown"]);
      const joined = (await membershipLog(ctx, ctx.alpha, emailable.id)).filter(([, c]) => c === "joined");
      assert.deepEqual(joined.map(([userId]) => userId).sort(), ["in", "unknown"]);
      const sizes = await api(ctx, ctx.alpha, "GET", `/segments/${emailable.id}`).then(expect(200));
      assert.equal(sizes.size, 2);

      // The write path evaluates new profiles with the new setting.
      await send(ctx, ctx.alpha, identify("later", { email: "later@example.com" }));
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, emailable.id), ["in", "later", "unknown"]);

      const off = await optOut(false).then(expect(200));
      assert.equal(off.settings.emailOptOut, false);
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, emailable.id), ["in"]);
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, reader.id), ["in"]);
      const log = await membershipLog(ctx, ctx.alpha, emailable.id);
      assert.deepEqual(
        log
          .filter(([, c]) => c === "left")
          .map(([userId]) => userId)
          .sort(),
        ["later", "unknown"],
      );
      // Sending the same value again changes nothing and logs nothing.
      await optOut(false).then(expect(200));
      assert.equal((await membershipLog(ctx, ctx.alpha, emailable.id)).length, log.length);
    });

    it("refuses a non-boolean value and unknown fields with 400 invalid_request", async () => {
      const before = await api(ctx, ctx.alpha, "GET", "").then(expect(200));
      for (const body of [
        { settings: { emailOptOut: "yes" } },
        { settings: { emailOptOut: 1 } },
        { settings: { emailOptOut: true, smsOptOut: true } },
        { settings: { emailOptOut: true }, name: "Renamed" },
      ]) {
        const error = await api(ctx, ctx.alpha, "PATCH", "", body).then(expect(400));
        assert.equal(error.error.code, "invalid_request", JSON.stringify(body));
      }
      assert.deepEqual(await api(ctx, ctx.alpha, "GET", "").then(expect(200)), before);
    });

    it("answers 404 to another business's key and leaves that business as it was", async () => {
      const response = await ctx.app.inject({
        method: "PATCH",
        url: `/api/v1/businesses/${ctx.beta.businessId}`,
        headers: { authorization: `Bearer ${ctx.alpha.apiKey}` },
        payload: { settings: { emailOptOut: true } },
      });
      assert.equal(response.statusCode, 404);
      // The access guard's answer, not a missing route's.
      const { code, message } = response.json().error;
      assert.deepEqual({ code, message }, { code: "not_found", message: "business not found" });
      const beta = await api(ctx, ctx.beta, "GET", "").then(expect(200));
      assert.equal(beta.settings.emailOptOut, false);
    });

    it("documents PATCH in the OpenAPI document", async () => {
      const spec = (await ctx.app.inject({ url: "/api/openapi.json" })).json();
      const patch = spec.paths["/api/v1/businesses/{businessId}"].patch;
      assert.ok(patch, "PATCH /api/v1/businesses/{businessId} is documented");
      assert.ok(patch.requestBody);
      assert.ok(patch.responses["200"]);
    });

    it("lets the dispatcher's consent check see the new setting at its next batch", async (t) => {
      const r = ctx.resources;
      const smtp = await startTestSmtpServer();
      const providers = localProviders();
      t.after(async () => {
        await providers.close();
        await smtp.close();
      });
      const options = { providers, publicUrl: "https://journeys.test/", random: () => 0.5 };
      const business = await createBusiness(r, { name: "Dispatch", plan: "growth" });
      await putChannel(r, business.id, "email", {
        provider: "smtp",
        host: "127.0.0.1",
        port: smtp.port,
        secure: false,
        from: "Shop <news@shop.example>",
      });
      const { id: templateId } = await createTemplate(r, business.id, {
        name: "News",
        channel: "email",
        subject: "Hi",
        body: "<p>Hi</p>",
      });
      const delivery = async (email: string) => {
        const { customer } = await createCustomer(r, business.id, { email });
        return queueDelivery(r, { businessId: business.id, customerId: customer.id, templateId });
      };

      const before = await delivery("before@example.com");
      await dispatchDue(r, options);
      assert.equal((await deliveryRow(r, business.id, before.id)).detail?.reason, "no_consent");
      await changeSettings(r, business.id, { emailOptOut: true });
      const afterwards = await delivery("after@example.com");
      await dispatchDue(r, options);
      assert.equal((await deliveryRow(r, business.id, afterwards.id)).status, "sent");
    });
  });
}
