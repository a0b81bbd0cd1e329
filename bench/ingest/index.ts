import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createBusinessWithOwner } from "../../packages/server/src/accounts/bootstrap";
import { SecretBox } from "../../packages/server/src/channels/secret-box";
import { systemClock } from "../../packages/server/src/clock";
import { buildApp } from "../../packages/server/src/http/app";
import { newId } from "../../packages/server/src/ids";
import type { Resources } from "../../packages/server/src/resources";
import { SegmentCatalogs } from "../../packages/server/src/segments/catalog";
import { openSqliteStore } from "../../packages/server/src/store/sqlite/sqlite-store";
import { RenderThreads } from "../../packages/server/src/templates/render-threads";
import { LOCAL_OUTBOUND } from "../../packages/server/src/testing/outbound";
import { insertSegments } from "../../packages/server/src/testing/segments";
import { benchDatabaseUrl } from "../postgres-database";
import type { BenchFigures, Benchmark } from "../types";
import { importRate } from "./import";
import { postgresFigures } from "./postgres";
import { lastMembershipSeq, rawEventRows, rawEveryRow } from "./raw";
import { messages, SEGMENTS } from "./workload";

/**
 * Ingestion through POST /v1/batch over loopback HTTP — from a load process of its own
 * (load.ts) — on the embedded store with 20 active segments (every event bumps counters and
 * re-evaluates the segments it can affect), against two raw inserts into the same store (raw.ts):
 * the run's event rows alone, and every row the run wrote. Also the time
 * from a profile change (an identify over HTTP) to its membership event being durable, idle and
 * under the ingestion load.
 */
const BATCH = 500;
const CONCURRENCY = 4;

const bench: Benchmark = async ({ quick, log }) => {
  const total = quick ? 50_000 : 200_000;
  const customers = quick ? 5_000 : 20_000;
  const dir = mkdtempSync(join(tmpdir(), "journeys-bench-ingest-"));
  const store = await openSqliteStore({ file: join(dir, "journeys.db") });
  const r: Resources = {
    store,
    clock: systemClock,
    newId,
    catalogs: new SegmentCatalogs(),
    outbound: LOCAL_OUTBOUND,
    renderer: new RenderThreads(),
    secrets: SecretBox.ephemeral(),
  };
  try {
    const business = await createBusinessWithOwner(r, {
      name: "Bench",
      plan: "enterprise",
      ownerEmail: "bench@example.com",
    });
    await insertSegments(store, business.businessId, SEGMENTS);

    const app = await buildApp({
      resources: r,
      config: {
        adminToken: undefined,
        bodyLimit: 1_048_576,
        env: "test",
        publicUrl: "http://127.0.0.1:3000",
        trustProxy: false,
      },
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const auth = `Basic ${Buffer.from(`${business.writeKey}:`).toString("base64")}`;
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: auth },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as { accepted?: number; rejected?: unknown[] };
      if (!response.ok || (json.rejected?.length ?? 0) > 0)
        throw new Error(`ingest failed: ${JSON.stringify(json).slice(0, 300)}`);
      return json;
    };

    // Warm-up: create the customers so the measured run is steady-state ingestion.
    const warm = messages(customers, customers, "warm").map((m, i) => ({
      ...m,
      type: "identify",
      userId: `user-${i}`,
      traits: { plan: "free", email: `user-${i}@example.com` },
    }));
    for (let i = 0; i < warm.length; i += BATCH) await post("/v1/batch", { batch: warm.slice(i, i + BATCH) });

    const latency = async (label: string, samples: number) => {
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const started = performance.now();
        await post("/v1/identify", {
          userId: "user-latency",
          messageId: `${label}-${i}`,
          traits: { plan: i % 2 ? "pro" : "free" },
        });
        times.push(performance.now() - started);
      }
      const joined = await store.db
        .selectFrom("membership_events")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("business_id", "=", business.businessId)
        .where(
          "customer_id",
          "=",
          (
            await store.db
              .selectFrom("customers")
              .select("id")
              .where("user_id", "=", "user-latency")
              .executeTakeFirstOrThrow()
          ).id,
        )
        .executeTakeFirstOrThrow();
      if (Number(joined.n) < samples)
        throw new Error("profile changes did not all produce membership events");
      times.sort((a, b) => a - b);
      return { p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.floor(times.length * 0.99)]! };
    };
    const idle = await latency("idle", quick ? 200 : 1_000);

    const load = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "load.ts"),
        ...[total, customers, BATCH, CONCURRENCY].map(String),
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    const loadLines = createInterface({ input: load.stdout! });
    const loadLine = () => new Promise<string>((resolve) => loadLines.once("line", resolve));
    if ((await loadLine()) !== "READY") throw new Error("the load process did not start");
    log(
      `ingesting ${total.toLocaleString("en-US")} messages in ${Math.ceil(total / BATCH)} batches, ${CONCURRENCY} in flight, from a load process`,
    );
    let loaded: { p50: number; p99: number } | undefined;
    const seqBefore = lastMembershipSeq(store, business.businessId);
    const done = loadLine();
    load.stdin!.write(`GO ${url} ${business.writeKey}\n`);
    const underLoad = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      loaded = await latency("loaded", quick ? 100 : 300);
    })();
    const { seconds } = JSON.parse(await done) as { seconds: number };
    await underLoad;
    const rate = total / seconds;

    // One customer with a long history: a rule counts "Page Viewed at least 10 times in 30
    // days", so each new page view is decided from the newest 11 hits, not all of them.
    const heavyBatches = quick ? 20 : 40;
    const heavyMs: number[] = [];
    for (let b = 0; b < heavyBatches; b++) {
      const batch = Array.from({ length: BATCH }, (_, i) => ({
        type: "track",
        userId: "user-heavy",
        event: "Page Viewed",
        messageId: `heavy-${b}-${i}`,
        properties: {},
      }));
      const started = performance.now();
      await post("/v1/batch", { batch });
      heavyMs.push(performance.now() - started);
    }
    const heavyRate = (ms: number[]) => (ms.length * BATCH) / (ms.reduce((a, b) => a + b, 0) / 1000);
    const heavyFirst = heavyRate(heavyMs.slice(0, 4));
    const heavyLast = heavyRate(heavyMs.slice(-4));
    await app.close();
    // What the segments cost in rows: everything the run wrote besides its events.
    const written = (sql: string) => Number(store.raw.prepare(sql).pluck().get(business.businessId));
    const changes = written("select count(*) from membership_events where business_id = ?");
    const hits = written("select count(*) from event_hits where business_id = ?");

    // Raw baselines: the run's event rows alone, then every row it wrote. A transaction takes
    // as many messages as the run's largest possible group (every call in flight), so the
    // baselines share pages as well as the run could have, or better.
    const group = BATCH * CONCURRENCY;
    const rawEvents = total / rawEventRows(store, business.businessId, group);
    const probe = store.raw
      .prepare("select id from customers where business_id = ? and user_id = 'user-latency'")
      .pluck()
      .get(business.businessId) as string;
    const every = rawEveryRow(store, business.businessId, group, seqBefore, probe);
    const rawEvery = total / every.seconds;
    // The least any store must write for them: the same rows with only the unique indexes.
    const rawUnique =
      total / rawEveryRow(store, business.businessId, group, seqBefore, probe, "unique only").seconds;
    // Untimed by the ratios above: a CSV import into the same business after the run.
    const imported = await importRate(r, business.businessId, quick ? 2_000 : 5_000, "imp");
    await store.close();

    let pg: BenchFigures = { metrics: {}, baselines: {}, ratios: {} };
    try {
      pg = await postgresFigures(benchDatabaseUrl(), quick, log);
    } catch (error) {
      log(`PostgreSQL not measured (${(error as Error).message}); set BENCH_DATABASE_URL`);
    }

    return {
      metrics: {
        "ingest /v1/batch events/s (20 segments)": Math.round(rate),
        "profile change → membership event p50 ms (idle)": idle.p50,
        "profile change → membership event p99 ms (idle)": idle.p99,
        "profile change → membership event p99 ms (under load)": loaded?.p99 ?? Number.NaN,
        [`one customer's events/s after ${(heavyBatches - 4) * BATCH} of its own`]: Math.round(heavyLast),
        "sqlite CSV import rows/s (new customers, 20 segments)": Math.round(imported),
        ...pg.metrics,
      },
      baselines: {
        "raw insert of the run's event rows alone, events/s": Math.round(rawEvents),
        "raw insert of every row the run wrote, events/s": Math.round(rawEvery),
        "raw insert of every row the run wrote, unique indexes only, events/s": Math.round(rawUnique),
        "one customer's first 2,000 events/s": Math.round(heavyFirst),
        ...pg.baselines,
      },
      ratios: {
        "ingest / raw insert of the event rows alone": rate / rawEvents,
        "ingest / raw insert of every row written": rate / rawEvery,
        "one customer's events/s, long history / first events": heavyLast / heavyFirst,
        ...pg.ratios,
        ...(pg.metrics["postgres CSV import rows/s (new customers, 20 segments)"]
          ? {
              "postgres CSV import / sqlite CSV import":
                pg.metrics["postgres CSV import rows/s (new customers, 20 segments)"] / imported,
            }
          : {}),
      },
      notes: [
        `${total} messages (90% track, 10% identify) over ${customers} customers, batches of ${BATCH}, ${CONCURRENCY} requests in flight, loopback HTTP from a load process of its own`,
        `raw baselines: prepared statements, ${BATCH * CONCURRENCY} messages per transaction`,
        `rows besides the events, warm-up included: ${changes} membership changes (joined/left, each a member row written or deleted plus a log row) and ${hits} counter hits`,
        `every-row baseline replayed ${every.rows.events} events, ${every.rows.hits} counter hits, ${every.rows.membershipChanges} membership changes and the customer rows identify rewrote`,
        ...(pg.notes ?? []),
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
