import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";

/**
 * What browser analytics.js sends: short paths (/v1/t, /v1/b …), text/plain bodies with the
 * write key inside, from a page on another origin — so every answer carries CORS headers and
 * preflights succeed.
 */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] ingestion from browsers`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const origin = { origin: "https://shop.example.com" };

    it("answers a preflight for any /v1 path", async () => {
      const response = await ctx.app.inject({
        method: "OPTIONS",
        url: "/v1/track",
        headers: {
          ...origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      assert.equal(response.statusCode, 204);
      assert.equal(response.headers["access-control-allow-origin"], "*");
      assert.match(String(response.headers["access-control-allow-methods"]), /POST/);
      assert.match(String(response.headers["access-control-allow-headers"]), /authorization/);
    });

    it("takes analytics.js's short paths as text/plain with the write key in the body", async () => {
      const post = (path: string, body: unknown) =>
        ctx.app.inject({
          method: "POST",
          url: `/v1/${path}`,
          headers: { ...origin, "content-type": "text/plain" },
          payload: JSON.stringify(body),
        });
      const writeKey = ctx.alpha.writeKey;
      const sent = [
        await post("i", { writeKey, type: "identify", userId: "web-1", messageId: "web-i" }),
        await post("t", { writeKey, type: "track", userId: "web-1", event: "Clicked", messageId: "web-t" }),
        await post("p", {
          writeKey,
          type: "page",
          anonymousId: "anon-web",
          name: "Home",
          messageId: "web-p",
        }),
        await post("b", {
          writeKey,
          batch: [{ type: "track", userId: "web-1", event: "Scrolled", messageId: "web-b" }],
        }),
      ];
      for (const response of sent) {
        assert.equal(response.statusCode, 200, response.body);
        assert.equal(response.headers["access-control-allow-origin"], "*");
      }
      const stored = await ctx.store.db
        .selectFrom("events")
        .select(["message_id", "type"])
        .where("business_id", "=", ctx.alpha.businessId)
        .where("message_id", "in", ["web-i", "web-t", "web-p", "web-b"])
        .orderBy("message_id")
        .execute();
      assert.deepEqual(
        stored.map((e) => [e.message_id, e.type]),
        [
          ["web-b", "track"],
          ["web-i", "identify"],
          ["web-p", "page"],
          ["web-t", "track"],
        ],
      );
    });

    it("lets the page read refusals too", async () => {
      const response = await ctx.app.inject({
        method: "POST",
        url: "/v1/t",
        headers: { ...origin, "content-type": "text/plain" },
        payload: JSON.stringify({ writeKey: "wk_unknown", type: "track", userId: "x", event: "E" }),
      });
      assert.equal(response.statusCode, 401);
      assert.equal(response.headers["access-control-allow-origin"], "*");
      assert.equal(response.json().error.code, "invalid_write_key");
    });
  });
}
