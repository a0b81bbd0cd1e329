import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney } from "../testing/email-journey";
import { bearer, useApp } from "../testing/use-app";

const OWN = "http://localhost"; // light-my-request's Host is localhost:80

/**
 * A signed-in browser's writes must come from this server's own pages: a page on another port
 * of the same host (same-site, so SameSite=Lax lets the cookie through) cannot pause a journey
 * or sign the user out. API-key calls are not concerned.
 */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] cross-site request forgery`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect, { publicUrl: "https://journeys.example.com" });
    const signIn = async () => {
      const login = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { origin: OWN },
        payload: { email: "owner@alpha.test", password: "alpha-password-1" },
      });
      assert.equal(login.statusCode, 200, login.body);
      return { journeys_session: login.cookies.find((c) => c.name === "journeys_session")!.value };
    };
    let journeyId: string | undefined;
    /** The journey these tests pause, active again (through the API key). */
    const journey = async () => {
      journeyId ??= await activeEmailJourney(
        ctx.resources,
        ctx.alpha.businessId,
        { type: "event", event: "E" },
        Date.now(),
      );
      const current = await ctx.app.inject({
        url: `/api/v1/businesses/${ctx.alpha.businessId}/journeys/${journeyId}`,
        headers: bearer(ctx.alpha.apiKey),
      });
      if (current.json().status !== "active") {
        const activated = await ctx.app.inject({
          method: "POST",
          url: `/api/v1/businesses/${ctx.alpha.businessId}/journeys/${journeyId}/activate`,
          headers: bearer(ctx.alpha.apiKey),
        });
        assert.equal(activated.statusCode, 200, activated.body);
      }
      return journeyId;
    };
    const pause = (
      id: string,
      headers: Record<string, string | undefined>,
      cookies?: Record<string, string>,
    ) =>
      ctx.app.inject({
        method: "POST",
        url: `/api/v1/businesses/${ctx.alpha.businessId}/journeys/${id}/pause`,
        headers,
        ...(cookies ? { cookies } : {}),
      });

    it("refuses a cookie-authenticated bodyless POST from another origin, another port, or no origin", async () => {
      const cookies = await signIn();
      const id = await journey();
      for (const headers of [
        { origin: "http://localhost:4000" },
        { origin: "https://evil.example" },
        { origin: "null" },
        { "sec-fetch-site": "same-site", origin: "http://localhost:4000" },
        { "sec-fetch-site": "cross-site" },
        {},
      ]) {
        const refused = await pause(id, headers, cookies);
        assert.equal(refused.statusCode, 403, `${JSON.stringify(headers)}: ${refused.body}`);
        assert.equal(refused.json().error.code, "cross_site_request");
      }
      const journeyNow = await ctx.app.inject({
        url: `/api/v1/businesses/${ctx.alpha.businessId}/journeys/${id}`,
        cookies,
      });
      assert.equal(journeyNow.json().status, "active", "nothing was paused");
    });

    it("accepts the same write from the server's own pages", async () => {
      const cookies = await signIn();
      for (const headers of [
        { "sec-fetch-site": "same-origin" },
        { origin: OWN },
        { origin: "https://journeys.example.com" }, // JOURNEYS_PUBLIC_URL, behind a proxy
      ]) {
        const paused = await pause(await journey(), headers, cookies);
        assert.equal(paused.statusCode, 200, `${JSON.stringify(headers)}: ${paused.body}`);
      }
    });

    it("does not let another origin sign the user out or in", async () => {
      const cookies = await signIn();
      const logout = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/auth/logout",
        headers: { origin: "http://localhost:4000" },
        cookies,
      });
      assert.equal(logout.statusCode, 403);
      const me = await ctx.app.inject({ url: "/api/v1/auth/me", cookies });
      assert.equal(me.statusCode, 200, "still signed in");
      const login = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { origin: "https://evil.example" },
        payload: { email: "owner@alpha.test", password: "alpha-password-1" },
      });
      assert.equal(login.statusCode, 403);
    });

    it("leaves API-key calls alone, whatever their origin", async () => {
      const paused = await pause(await journey(), {
        ...bearer(ctx.alpha.apiKey),
        origin: "https://evil.example",
      });
      assert.equal(paused.statusCode, 200, paused.body);
    });

    it("marks the session cookie Secure when the public URL is https", async () => {
      const login = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { origin: OWN },
        payload: { email: "owner@alpha.test", password: "alpha-password-1" },
      });
      assert.equal(login.cookies.find((c) => c.name === "journeys_session")?.secure, true);
    });

    it("sends nosniff and no-framing on every answer, and a CSP on pages", async () => {
      const page = await ctx.app.inject({ url: "/login" });
      assert.equal(page.headers["x-frame-options"], "DENY");
      assert.equal(page.headers["x-content-type-options"], "nosniff");
      const policy = String(page.headers["content-security-policy"]);
      for (const directive of ["frame-ancestors 'none'", "script-src 'self'", "object-src 'none'"])
        assert.ok(policy.includes(directive), policy);
      const json = await ctx.app.inject({ url: "/api/v1/auth/me" });
      assert.equal(json.headers["x-content-type-options"], "nosniff");
      assert.equal(json.headers["x-frame-options"], "DENY");
    });
  });

  describe(`[${dialect.name}] session cookie behind a proxy`, { skip: dialect.skip }, () => {
    const trusting = useApp(dialect, { trustProxy: true });
    const direct = useApp(dialect);
    const login = (app: typeof trusting.app) =>
      app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { host: "localhost", origin: "https://localhost", "x-forwarded-proto": "https" },
        payload: { email: "owner@alpha.test", password: "alpha-password-1" },
      });

    it("is Secure when a trusted proxy says the client came over https, and not on the proxy's word alone", async () => {
      const behindProxy = await login(trusting.app);
      assert.equal(behindProxy.statusCode, 200, behindProxy.body);
      assert.equal(behindProxy.cookies.find((c) => c.name === "journeys_session")?.secure, true);
      // Not trusting the proxy, the request is plain http from http://localhost, and the
      // https Origin it claims is not this server's.
      const untrusted = await direct.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { origin: OWN, "x-forwarded-proto": "https" },
        payload: { email: "owner@alpha.test", password: "alpha-password-1" },
      });
      assert.equal(untrusted.statusCode, 200, untrusted.body);
      assert.equal(untrusted.cookies.find((c) => c.name === "journeys_session")?.secure, undefined);
    });
  });
}
