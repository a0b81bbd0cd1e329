import { Logger, runMigrations, runOnce } from "graphile-worker";
import pg from "pg";
import { openPostgresStore } from "../../packages/server/src/store/postgres/postgres-store";
import { withDatabase } from "../postgres-database";
import type { BenchFigures } from "../types";
import { drain, percentile } from "./drain";
import { seed } from "./setup";

const BATCH = 1_000;

/**
 * The engine on PostgreSQL against graphile-worker 0.16 running the same number of no-op jobs
 * (one per interpreter call) on the same server: its unbatched jobs/s is the baseline. Both
 * run four at once: graphile-worker with concurrency 4, the engine with its default 4 lanes.
 */
export async function postgresFigures(
  url: string,
  customers: number,
  log: (line: string) => void,
): Promise<BenchFigures> {
  const engine = await withDatabase(url, `journeys_bench_engine_${process.pid}`, async (dbUrl) => {
    // The pool graphile-worker gets below.
    const store = await openPostgresStore({ url: dbUrl, poolSize: 8 });
    log(`postgres: seeding ${customers.toLocaleString("en-US")} customers`);
    const { r, clock } = await seed(store, customers);
    log("postgres: draining");
    const figures = await drain(r, clock, BATCH);
    await store.close();
    return figures;
  });

  const jobs = engine.calls;
  const graphile = await withDatabase(url, `journeys_bench_graphile_${process.pid}`, async (dbUrl) => {
    await runMigrations({ connectionString: dbUrl, logger: new Logger(() => () => {}) });
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    // add_jobs takes a batch in one call (add_job per row took minutes for 200,000).
    for (let added = 0; added < jobs; added += 10_000) {
      await client.query(
        "select graphile_worker.add_jobs(array(select row('noop', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec from generate_series(1, $1)))",
        [Math.min(10_000, jobs - added)],
      );
    }
    await client.end();
    log(`graphile-worker: ${jobs.toLocaleString("en-US")} no-op jobs`);
    const pool = new pg.Pool({ connectionString: dbUrl, max: 8 });
    pool.on("error", () => {});
    const started = performance.now();
    await runOnce(
      { pgPool: pool, concurrency: 4, noHandleSignals: true, logger: new Logger(() => () => {}) },
      { noop: async () => {} },
    );
    const seconds = (performance.now() - started) / 1000;
    await pool.end();
    return seconds;
  });

  const lanes = engine.lanes;
  const nodesPerSecond = engine.nodes / engine.seconds;
  const callsPerSecond = engine.calls / engine.seconds;
  const graphileJobs = jobs / graphile;
  return {
    metrics: {
      "postgres interpreter calls/s": Math.round(callsPerSecond),
      "postgres steps (nodes)/s": Math.round(nodesPerSecond),
      "postgres steps per transaction": engine.nodes / engine.transactions,
      [`postgres round (${lanes} lanes × 1,000 calls) p50 ms`]: percentile(engine.roundMs, 0.5),
      [`postgres round (${lanes} lanes × 1,000 calls) p99 ms`]: percentile(engine.roundMs, 0.99),
    },
    baselines: { "graphile-worker 0.16 no-op jobs/s": Math.round(graphileJobs) },
    ratios: {
      "postgres engine calls / graphile jobs": callsPerSecond / graphileJobs,
      "postgres engine steps / graphile jobs": nodesPerSecond / graphileJobs,
    },
  };
}
