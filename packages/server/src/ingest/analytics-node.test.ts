import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Analytics } from "@segment/analytics-node";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";

/**
 * The real @segment/analytics-node client, pointed at our host. A proxy between them lets each
 * batch through to the server but answers the client's first attempt with 503, so the client
 * retries every batch with the same messageIds — and the store must keep each event once.
 */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] the real Segment client`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    let serverUrl = "";
    let proxyUrl = "";
    let attempts = 0;
    let retries = 0;
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        attempts++;
        const isRetry = req.headers["x-retry-count"] !== undefined;
        if (isRetry) retries++;
        const upstream = httpRequest(
          `${serverUrl}${req.url}`,
          { method: req.method, headers: req.headers },
          (up) => {
            const body: Buffer[] = [];
            up.on("data", (c) => body.push(c));
            up.on("end", () => {
              if (!isRetry) {
                // The server stored the batch; the client is told it failed.
                res.writeHead(503, { "content-type": "application/json" }).end('{"error":"try again"}');
              } else {
                res.writeHead(up.statusCode ?? 500, up.headers).end(Buffer.concat(body));
              }
            });
          },
        );
        upstream.end(Buffer.concat(chunks));
      });
    });

    before(async () => {
      if (dialect.skip) return;
      await ctx.app.listen({ host: "127.0.0.1", port: 0 });
      serverUrl = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
      await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

    it("stores every identify and track exactly once through the client's retries", async () => {
      const analytics = new Analytics({
        writeKey: ctx.alpha.writeKey,
        host: proxyUrl,
        flushAt: 25,
        flushInterval: 100,
        maxRetries: 3,
      });
      const failures: unknown[] = [];
      analytics.on("error", (error) => failures.push(error));
      for (let i = 0; i < 20; i++) {
        analytics.identify({
          userId: `sdk-${i}`,
          traits: { email: `sdk-${i}@example.com`, plan: i % 2 ? "pro" : "free" },
        });
        for (let j = 0; j < 4; j++) {
          analytics.track({ userId: `sdk-${i}`, event: "Product Viewed", properties: { sku: `SKU-${j}` } });
        }
      }
      await analytics.closeAndFlush({ timeout: 30_000 });
      assert.deepEqual(failures, []);
      assert.ok(
        retries > 0 && retries === attempts / 2,
        `every batch was retried (attempts ${attempts}, retries ${retries})`,
      );

      const rows = await ctx.store.db
        .selectFrom("events")
        .select(["message_id", "type"])
        .where("business_id", "=", ctx.alpha.businessId)
        .where("message_id", "not like", "m-%")
        .execute();
      assert.equal(rows.length, 100, "20 identifies + 80 tracks, none twice");
      assert.equal(new Set(rows.map((r) => r.message_id)).size, 100);
      const customers = await ctx.store.db
        .selectFrom("customers")
        .select(["user_id", "email"])
        .where("business_id", "=", ctx.alpha.businessId)
        .where("user_id", "like", "sdk-%")
        .execute();
      assert.equal(customers.length, 20);
      assert.ok(customers.every((c) => c.email === `${c.user_id}@example.com`));
    });
  });
}
