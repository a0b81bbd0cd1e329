import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { ADMIN_TOKEN, bearer, useApp } from "../testing/use-app";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] management API`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect, { bodyLimit: 4096 });

    it("answers health, readiness, metrics and the OpenAPI 3.1 document", async () => {
      assert.deepEqual((await ctx.app.inject({ url: "/healthz" })).json(), { status: "ok" });
      assert.deepEqual((await ctx.app.inject({ url: "/readyz" })).json(), {
        status: "ready",
        store: dialect.name,
      });
      const metrics = await ctx.app.inject({ url: "/metrics" });
      assert.match(
        metrics.body,
        /journeys_http_requests_total\{method="GET",route="\/readyz",status="200"\} 1/,
      );
      const spec = (await ctx.app.inject({ url: "/api/openapi.json" })).json();
      assert.equal(spec.openapi, "3.1.0");
      assert.ok(spec.paths["/api/v1/businesses/{businessId}/api-keys"].post);
      assert.equal((await ctx.app.inject({ url: "/api/docs/" })).statusCode, 200);
    });

    it("returns the business and its plan to its own secret key", async () => {
      const response = await ctx.app.inject({
        url: `/api/v1/businesses/${ctx.alpha.businessId}`,
        headers: bearer(ctx.alpha.apiKey),
      });
      assert.equal(response.statusCode, 200);
      const business = response.json();
      assert.equal(business.name, "Alpha");
      assert.equal(business.plan, "growth");
      assert.equal(business.planDetails.limits.journeys, 25);
    });

    it("answers 401 to a missing, unknown or malformed key, and to a write key", async () => {
      const url = `/api/v1/businesses/${ctx.alpha.businessId}`;
      for (const headers of [
        {},
        bearer("sk_notakey"),
        { authorization: "Basic abc def" },
        bearer(ctx.alpha.writeKey),
      ]) {
        const response = await ctx.app.inject({ url, headers });
        assert.equal(response.statusCode, 401, JSON.stringify(headers));
        assert.equal(response.json().error.code, "unauthenticated");
      }
    });

    it("answers 404 when a key asks for another business, as if it did not exist", async () => {
      for (const url of [
        `/api/v1/businesses/${ctx.beta.businessId}`,
        `/api/v1/businesses/${ctx.beta.businessId}/api-keys`,
        "/api/v1/businesses/bus_doesnotexist",
      ]) {
        const response = await ctx.app.inject({ url, headers: bearer(ctx.alpha.apiKey) });
        assert.equal(response.statusCode, 404, url);
        assert.deepEqual(response.json(), {
          error: { code: "not_found", message: "business not found", details: null },
        });
      }
    });

    it("answers 400 naming the field for an invalid body", async () => {
      const response = await ctx.app.inject({
        method: "POST",
        url: `/api/v1/businesses/${ctx.alpha.businessId}/api-keys`,
        headers: bearer(ctx.alpha.apiKey),
        payload: { kind: "admin", name: 7 },
      });
      assert.equal(response.statusCode, 400);
      const { error } = response.json();
      assert.equal(error.code, "invalid_request");
      const fields = error.details.fields.map((f: { field: string }) => f.field);
      assert.ok(fields.includes("body.kind"), JSON.stringify(fields));
      assert.ok(fields.includes("body.name"), JSON.stringify(fields));
      assert.match(error.message, /^body\./);
    });

    it("answers 400 invalid_json for malformed JSON and 413 for an oversize body", async () => {
      const url = `/api/v1/businesses/${ctx.alpha.businessId}/api-keys`;
      const headers = { ...bearer(ctx.alpha.apiKey), "content-type": "application/json" };
      const malformed = await ctx.app.inject({ method: "POST", url, headers, payload: '{"kind": ' });
      assert.equal(malformed.statusCode, 400);
      assert.equal(malformed.json().error.code, "invalid_json");
      const oversize = await ctx.app.inject({
        method: "POST",
        url,
        headers,
        payload: JSON.stringify({ kind: "write", name: "x".repeat(5000) }),
      });
      assert.equal(oversize.statusCode, 413);
      assert.equal(oversize.json().error.code, "payload_too_large");
      assert.match(oversize.json().error.message, /4096 bytes/);
    });

    it("creates a key shown once, lists it by prefix, and revokes it so it stops working", async () => {
      const base = `/api/v1/businesses/${ctx.alpha.businessId}/api-keys`;
      const created = await ctx.app.inject({
        method: "POST",
        url: base,
        headers: bearer(ctx.alpha.apiKey),
        payload: { kind: "secret", name: "CI" },
      });
      assert.equal(created.statusCode, 201);
      const { key, id, prefix } = created.json();
      assert.match(key, /^sk_[0-9a-z]{32}$/);
      assert.ok(key.startsWith(prefix));

      const listed = (await ctx.app.inject({ url: base, headers: bearer(key) })).json();
      const row = listed.data.find((k: { id: string }) => k.id === id);
      assert.equal(row.prefix, prefix);
      assert.equal(JSON.stringify(listed).includes(key), false, "the full key is never listed");

      const revoked = await ctx.app.inject({
        method: "DELETE",
        url: `${base}/${id}`,
        headers: bearer(ctx.alpha.apiKey),
      });
      assert.equal(revoked.statusCode, 200);
      assert.equal(typeof revoked.json().revokedAt, "number");
      assert.equal((await ctx.app.inject({ url: base, headers: bearer(key) })).statusCode, 401);
    });

    it("signs a user in with an HttpOnly cookie that opens only their business", async () => {
      const wrong = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { origin: "http://localhost" },
        payload: { email: "owner@alpha.test", password: "nope-nope-nope" },
      });
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.json().error.code, "invalid_credentials");

      const login = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { origin: "http://localhost" },
        payload: { email: "Owner@Alpha.test", password: "alpha-password-1" },
      });
      assert.equal(login.statusCode, 200);
      const cookie = login.cookies.find((c) => c.name === "journeys_session");
      assert.ok(cookie?.httpOnly);
      assert.equal(cookie?.sameSite, "Lax");
      const cookies = { journeys_session: cookie.value };
      assert.equal(
        (await ctx.app.inject({ url: `/api/v1/businesses/${ctx.alpha.businessId}`, cookies })).statusCode,
        200,
      );
      assert.equal(
        (await ctx.app.inject({ url: `/api/v1/businesses/${ctx.beta.businessId}`, cookies })).statusCode,
        404,
      );
      assert.equal(
        (await ctx.app.inject({ url: "/", cookies })).headers.location,
        `/business/${ctx.alpha.businessId}/marketing`,
      );

      const logout = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/auth/logout",
        headers: { "sec-fetch-site": "same-origin" },
        cookies,
      });
      assert.equal(logout.statusCode, 204);
      assert.equal(
        (await ctx.app.inject({ url: `/api/v1/businesses/${ctx.alpha.businessId}`, cookies })).statusCode,
        401,
      );
    });

    it("guards the admin API with the admin token and creates businesses through it", async () => {
      const payload = { name: "Gamma", plan: "lite", ownerEmail: "owner@gamma.test" };
      const denied = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/admin/businesses",
        payload,
        headers: bearer("x"),
      });
      assert.equal(denied.statusCode, 401);
      const created = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/admin/businesses",
        payload,
        headers: bearer(ADMIN_TOKEN),
      });
      assert.equal(created.statusCode, 201);
      const gamma = created.json();
      assert.deepEqual(Object.keys(gamma).sort(), [
        "apiKey",
        "businessId",
        "ownerEmail",
        "ownerPassword",
        "writeKey",
      ]);
      const own = await ctx.app.inject({
        url: `/api/v1/businesses/${gamma.businessId}`,
        headers: bearer(gamma.apiKey),
      });
      assert.equal(own.json().plan, "lite");

      const badPlan = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/admin/businesses",
        payload: { ...payload, plan: "platinum" },
        headers: bearer(ADMIN_TOKEN),
      });
      assert.equal(badPlan.statusCode, 400);
      assert.match(badPlan.json().error.message, /body\.plan/);

      const taken = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/admin/businesses",
        payload: { ...payload, name: "Gamma 2" },
        headers: bearer(ADMIN_TOKEN),
      });
      assert.equal(taken.statusCode, 409);
      assert.equal(taken.json().error.code, "email_taken");
    });

    it("answers unknown routes with the error shape", async () => {
      const response = await ctx.app.inject({ url: "/api/v1/nope" });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().error.code, "not_found");
    });
  });
}
