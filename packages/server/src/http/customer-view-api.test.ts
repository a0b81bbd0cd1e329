import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { bearer, useApp } from "../testing/use-app";

const NONE = { email: "unknown", sms: "unknown", whatsapp: "unknown", telegram: "unknown", push: "unknown" };

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] customer subscriptions on the wire`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const call = (method: "GET" | "POST" | "PATCH", path: string, payload?: object) =>
      ctx.app.inject({
        method,
        url: `/api/v1/businesses/${ctx.alpha.businessId}/customers${path}`,
        headers: bearer(ctx.alpha.apiKey),
        ...(payload ? { payload } : {}),
      });

    it("lists every channel, `unknown` where nothing is recorded, in every response", async () => {
      const created = await call("POST", "", { email: "nobody@example.com" });
      assert.equal(created.statusCode, 201, created.body);
      const { id, subscriptions } = created.json();
      assert.deepEqual(subscriptions, NONE);
      assert.deepEqual((await call("GET", `/${id}`)).json().subscriptions, NONE);
      assert.deepEqual((await call("GET", "?email=nobody@example.com")).json().data[0].subscriptions, NONE);
      assert.deepEqual((await call("GET", `/${id}/export`)).json().profile.subscriptions, NONE);
      const changed = await call("PATCH", `/${id}`, { subscriptions: { sms: "subscribed" } });
      assert.deepEqual(changed.json().subscriptions, { ...NONE, sms: "subscribed" });
    });
  });
}
