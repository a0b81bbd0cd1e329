import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { putChannel } from "../channels/setup";
import { startTestSmtpServer, type TestSmtpServer } from "../channels/test-smtp-server";
import { ManualClock } from "../clock";
import { createCustomer } from "../customers/edit";
import { dispatchDue } from "../dispatcher/dispatch";
import { DefinitionCache } from "../engine/definitions";
import { runDueLanes } from "../engine/loop";
import { ingest } from "../ingest/ingest";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney } from "../testing/email-journey";
import { localProviders } from "../testing/outbound";
import { useStore } from "../testing/use-store";
import { buildOpsApp } from "./ops-server";

const T0 = Date.UTC(2026, 0, 5, 9);

/** The value of one sample in Prometheus text, e.g. sample(text, 'journeys_deliveries_total{outcome="sent"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] domain metrics on /metrics`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect, { clock: () => new ManualClock(T0) });
    const t = {} as {
      smtp: TestSmtpServer;
      businessId: string;
      app: Awaited<ReturnType<typeof buildOpsApp>>;
    };
    const scrape = async () => {
      const response = await t.app.inject({ method: "GET", url: "/metrics" });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers["content-type"]), /^text\/plain/);
      return response.body;
    };

    before(async () => {
      if (dialect.skip) return;
      const r = ctx.resources;
      t.smtp = await startTestSmtpServer();
      t.app = await buildOpsApp(r);
      ({ businessId: t.businessId } = await createBusinessWithOwner(r, {
        name: "Metrics",
        plan: "growth",
        ownerEmail: "owner@metrics.test",
      }));
      await activeEmailJourney(r, t.businessId, { type: "event", event: "Signed Up" }, T0);
      await putChannel(r, t.businessId, "email", {
        provider: "smtp",
        host: "127.0.0.1",
        port: t.smtp.port,
        secure: false,
        from: "Shop <news@shop.example>",
      });
      for (const [userId, consent] of [
        ["ada", "subscribed"],
        ["bob", "subscribed"],
        ["cy", "unsubscribed"],
      ] as const) {
        await createCustomer(r, t.businessId, {
          userId,
          email: `${userId}@example.com`,
          subscriptions: { email: consent },
        });
      }
    });
    after(async () => {
      await t.app?.close();
      await t.smtp?.close();
    });

    it("serves /healthz and /readyz beside /metrics, and nothing else", async () => {
      assert.equal((await t.app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
      const ready = await t.app.inject({ method: "GET", url: "/readyz" });
      assert.deepEqual(ready.json(), { status: "ready", store: dialect.name });
      const api = await t.app.inject({ method: "GET", url: "/api/v1/businesses" });
      assert.equal(api.statusCode, 404);
    });

    it("counts ingested messages, engine work and deliveries, and reads the queues' depth", async () => {
      const r = ctx.resources;
      const before = await scrape();
      for (const outcome of ["accepted", "duplicate", "rejected"])
        assert.equal(sample(before, `journeys_ingested_messages_total{outcome="${outcome}"}`), 0);
      assert.equal(sample(before, "journeys_engine_work_items_total"), 0);
      assert.equal(sample(before, "journeys_engine_work_due"), 0);
      assert.equal(sample(before, "journeys_outbox_depth"), 0);

      const signUp = (userId: string, messageId: string) => ({
        type: "track",
        event: "Signed Up",
        userId,
        messageId,
      });
      const batch = [signUp("ada", "m1"), signUp("bob", "m2"), { type: "track" }];
      await ingest(r, t.businessId, batch);
      await ingest(r, t.businessId, [signUp("cy", "m3"), signUp("ada", "m1")]);
      const ingested = await scrape();
      assert.equal(sample(ingested, 'journeys_ingested_messages_total{outcome="accepted"}'), 3);
      assert.equal(sample(ingested, 'journeys_ingested_messages_total{outcome="duplicate"}'), 1);
      assert.equal(sample(ingested, 'journeys_ingested_messages_total{outcome="rejected"}'), 1);
      // Three sign-ups entered the journey: three work items due, none run yet.
      assert.equal(sample(ingested, "journeys_engine_work_due"), 3);

      const round = await runDueLanes(r, new DefinitionCache(), { limit: 100, lanes: 1 });
      assert.equal(round.processed, 3);
      const stepped = await scrape();
      assert.equal(sample(stepped, "journeys_engine_work_items_total"), 3);
      assert.equal(sample(stepped, "journeys_engine_nodes_total"), 3);
      assert.equal(sample(stepped, "journeys_engine_batches_total"), 1);
      assert.equal(sample(stepped, "journeys_engine_work_due"), 0);
      assert.equal(sample(stepped, "journeys_outbox_depth"), 3);

      const providers = localProviders();
      try {
        await dispatchDue(r, { providers, publicUrl: "https://journeys.test" });
      } finally {
        await providers.close();
      }
      const sent = await scrape();
      assert.equal(sample(sent, 'journeys_deliveries_total{outcome="sent"}'), 2);
      assert.equal(sample(sent, 'journeys_deliveries_total{outcome="skipped"}'), 1);
      assert.equal(sample(sent, 'journeys_deliveries_total{outcome="failed"}'), 0);
      assert.equal(sample(sent, 'journeys_deliveries_total{outcome="retried"}'), 0);
      assert.equal(sample(sent, "journeys_outbox_depth"), 0);
      assert.equal(t.smtp.messages.length, 2);
      // The HTTP metrics and Node's are still there.
      assert.ok(sample(sent, 'journeys_http_requests_total{method="GET",route="/metrics",status="200"}'));
      assert.match(sent, /^journeys_process_cpu_seconds_total /m);
    });

    it("counts a retried delivery, and only work that is due", async () => {
      const r = ctx.resources;
      await createCustomer(r, t.businessId, {
        userId: "dee",
        email: "dee@example.com",
        subscriptions: { email: "subscribed" },
      });
      await ingest(r, t.businessId, [{ type: "track", event: "Signed Up", userId: "dee", messageId: "m4" }]);
      await r.store.db
        .updateTable("engine_work")
        .set({ run_at: T0 + 3_600_000 })
        .execute();
      assert.equal(sample(await scrape(), "journeys_engine_work_due"), 0);
      (r.clock as ManualClock).advance(3_600_000);
      assert.equal(sample(await scrape(), "journeys_engine_work_due"), 1);
      await runDueLanes(r, new DefinitionCache(), { limit: 100, lanes: 1 });
      t.smtp.failNext(451, "4.3.0 try again later");
      const providers = localProviders();
      try {
        await dispatchDue(r, { providers, publicUrl: "https://journeys.test" });
      } finally {
        await providers.close();
      }
      const text = await scrape();
      assert.equal(sample(text, 'journeys_deliveries_total{outcome="retried"}'), 1);
      // Waiting for its retry, it is still in the outbox.
      assert.equal(sample(text, "journeys_outbox_depth"), 1);
      assert.equal(sample(text, "journeys_engine_work_items_total"), 4);
    });

    it("reports the queues as unknown (NaN), not empty, while the store is down", async () => {
      const store = await dialect.open();
      const app = await buildOpsApp({ ...ctx.resources, store });
      try {
        const up = (await app.inject({ method: "GET", url: "/metrics" })).body;
        assert.equal(sample(up, "journeys_engine_work_due"), 0);
        await store.drop();
        const response = await app.inject({ method: "GET", url: "/metrics" });
        assert.equal(response.statusCode, 200);
        assert.ok(Number.isNaN(sample(response.body, "journeys_engine_work_due")));
        assert.ok(Number.isNaN(sample(response.body, "journeys_outbox_depth")));
        assert.equal((await app.inject({ method: "GET", url: "/readyz" })).statusCode, 503);
      } finally {
        await app.close();
      }
    });
  });
}
