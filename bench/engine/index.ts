import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPostgresStore } from "../../packages/server/src/store/postgres/postgres-store";
import { openSqliteStore } from "../../packages/server/src/store/sqlite/sqlite-store";
import { benchDatabaseUrl, withDatabase } from "../postgres-database";
import type { Benchmark } from "../types";
import { drain, percentile } from "./drain";
import { delayLateness, eventToSmtp, steadyLateness } from "./latency";
import { postgresFigures } from "./postgres";
import { rawCeiling } from "./raw";
import { seed } from "./setup";

/**
 * The journey engine draining a 5-node journey (message → delay 1 day → split → message →
 * message) for N customers with the manual clock: interpreter calls/s and journey nodes/s
 * (a "step" = one node executed), transactions per step and batch latency, against the raw
 * ceiling — the same rows written with prepared statements and no engine logic. Deliveries
 * are written to the outbox, not sent (the dispatcher is measured elsewhere).
 */
const BATCH = 1_000;

const bench: Benchmark = async ({ quick, full, log }) => {
  const customers = quick ? 10_000 : full ? 1_000_000 : 100_000;
  const dir = mkdtempSync(join(tmpdir(), "journeys-bench-engine-"));
  try {
    const store = await openSqliteStore({ file: join(dir, "engine.db") });
    log(`seeding ${customers.toLocaleString("en-US")} customers`);
    const { r, clock, businessId, journeyId, customerIds } = await seed(store, customers);
    log("draining");
    const figures = await drain(r, clock, BATCH);
    const rawSeconds = rawCeiling(store, businessId, journeyId, customerIds, BATCH);
    // The least any engine must write for these steps: the same rows with only the indexes
    // that enforce a uniqueness (no claim, customer, journey or state index).
    const keysSeconds = rawCeiling(store, businessId, journeyId, customerIds, BATCH, "unique only");
    await store.close();
    const nodesPerSecond = figures.nodes / figures.seconds;
    const rawNodesPerSecond = figures.nodes / rawSeconds;
    const url = benchDatabaseUrl();
    let pgFigures: Awaited<ReturnType<typeof postgresFigures>> = { metrics: {}, baselines: {}, ratios: {} };
    try {
      pgFigures = await postgresFigures(url, quick ? customers : Math.min(customers, 100_000), log);
    } catch (error) {
      log(`PostgreSQL not measured (${(error as Error).message}); set BENCH_DATABASE_URL`);
    }
    const e2e = await eventToSmtp(1_000, quick ? 3 : 10, quick ? 2 : 5, log);
    let pgE2e: Awaited<ReturnType<typeof eventToSmtp>> | undefined;
    try {
      pgE2e = await withDatabase(url, `journeys_bench_latency_${process.pid}`, (dbUrl) =>
        eventToSmtp(1_000, quick ? 3 : 10, quick ? 2 : 5, log, () => openPostgresStore({ url: dbUrl })),
      );
    } catch (error) {
      log(`PostgreSQL event → SMTP not measured (${(error as Error).message})`);
    }
    const late = await delayLateness(quick ? 10_000 : full ? 1_000_000 : 100_000, log);
    const steady = await steadyLateness(quick ? 5_000 : 20_000, 10_000, log);
    return {
      metrics: {
        "event → SMTP p50 ms (1,000 events/s offered)": e2e.p50,
        "event → SMTP p99 ms (1,000 events/s offered)": e2e.p99,
        "event → SMTP p99 ms during the warm-up (cold start)": e2e.coldP99,
        "event → SMTP events/s achieved": Math.round(e2e.achieved),
        "event stored → delivery queued p99 ms": e2e.engineP99,
        "delivery queued → SMTP accepted p99 ms": e2e.dispatchP99,
        "event → SMTP emails received / sent": e2e.received / e2e.sent,
        ...(pgE2e
          ? {
              "postgres event → SMTP p50 ms (1,000 events/s offered)": pgE2e.p50,
              "postgres event → SMTP p99 ms (1,000 events/s offered)": pgE2e.p99,
              "postgres event → SMTP events/s achieved": Math.round(pgE2e.achieved),
              "postgres event → SMTP emails received / sent": pgE2e.received / pgE2e.sent,
            }
          : {}),
        "delay lateness p50 ms (all due in one second)": late.p50,
        "delay lateness p99 ms (all due in one second)": late.p99,
        "delays drained per second": Math.round(late.drainPerSecond),
        "delays drained, steps (nodes)/s": Math.round(late.stepsPerSecond),
        "delay lateness p50 ms (steady: wakes spread over 10 s)": steady.p50,
        "delay lateness p99 ms (steady: wakes spread over 10 s)": steady.p99,
        "sqlite interpreter calls/s": Math.round(figures.calls / figures.seconds),
        "sqlite steps (nodes)/s": Math.round(nodesPerSecond),
        "sqlite steps per transaction": figures.nodes / figures.transactions,
        "sqlite batch (1,000 calls) p50 ms": percentile(figures.roundMs, 0.5),
        "sqlite batch (1,000 calls) p99 ms": percentile(figures.roundMs, 0.99),
        ...pgFigures.metrics,
      },
      baselines: {
        "sqlite raw ceiling steps/s (same writes, no engine)": Math.round(rawNodesPerSecond),
        "sqlite raw steps/s, unique indexes only (same rows, no engine)": Math.round(
          figures.nodes / keysSeconds,
        ),
        ...pgFigures.baselines,
      },
      ratios: { "sqlite engine / raw ceiling": nodesPerSecond / rawNodesPerSecond, ...pgFigures.ratios },
      notes: [
        `${customers} customers, ${figures.calls} calls, ${figures.nodes} nodes, batches of ${BATCH}; deliveries written to the outbox, not sent`,
        "event → SMTP: percentiles over the measured seconds after the warm-up; the warm-up's own p99 is reported as the cold start",
        `event → SMTP p99 ms of each second, warm-up first: sqlite ${e2e.secondsP99.join(", ")}${pgE2e ? `; postgres ${pgE2e.secondsP99.join(", ")}` : ""}`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
