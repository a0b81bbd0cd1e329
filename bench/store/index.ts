import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { openPostgresStore } from "../../packages/server/src/store/postgres/postgres-store";
import { openSqliteStore } from "../../packages/server/src/store/sqlite/sqlite-store";
import { benchDatabaseUrl, withDatabase } from "../postgres-database";
import type { BenchFigures, Benchmark } from "../types";

/**
 * Batched writes per second through the store port on each dialect, against the raw driver
 * writing the same rows in the same batches (the ceiling). The rows have the shape of an
 * ingested event (tenant key, ids, name, JSON properties, epoch ms), in a scratch table so
 * this benchmark does not depend on a later schema.
 */
const BATCH = 500;
type BenchDb = Kysely<{ bench_events: Row }>;

interface Row {
  business_id: string;
  id: string;
  customer_id: string;
  name: string;
  properties: string;
  timestamp: number;
}

function rows(count: number, salt: string): Row[] {
  return Array.from({ length: count }, (_, i) => ({
    business_id: "bus_bench",
    id: `evt_${salt}_${i.toString().padStart(9, "0")}`,
    customer_id: `cus_${i % 10_000}`,
    name: i % 3 === 0 ? "Order Completed" : "Product Viewed",
    properties: JSON.stringify({ sku: `SKU-${i % 997}`, price: (i % 200) + 0.99, currency: "EUR" }),
    timestamp: 1_790_000_000_000 + i,
  }));
}

const DDL = (json: string) => `create table bench_events (
  business_id text not null, id text not null, customer_id text not null, name text not null,
  properties ${json} not null, timestamp bigint not null, primary key (business_id, id))`;

async function viaStore(db: BenchDb, data: Row[]): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < data.length; i += BATCH) {
    const batch = data.slice(i, i + BATCH);
    await db.transaction().execute((trx) => trx.insertInto("bench_events").values(batch).execute());
  }
  return data.length / ((performance.now() - started) / 1000);
}

async function singleRowCommits(db: BenchDb, data: Row[]): Promise<number> {
  const started = performance.now();
  for (const row of data) await db.insertInto("bench_events").values(row).execute();
  return data.length / ((performance.now() - started) / 1000);
}

async function sqlite(count: number): Promise<BenchFigures> {
  const dir = mkdtempSync(join(tmpdir(), "journeys-bench-"));
  try {
    const store = await openSqliteStore({ file: join(dir, "store.db") });
    store.raw.exec(DDL("text"));
    const storeRate = await viaStore(store.db as unknown as BenchDb, rows(count, "s"));
    const singles = await singleRowCommits(
      store.db as unknown as BenchDb,
      rows(Math.min(count, 2_000), "one"),
    );

    const insert = store.raw.prepare(
      "insert into bench_events (business_id, id, customer_id, name, properties, timestamp) values (@business_id, @id, @customer_id, @name, @properties, @timestamp)",
    );
    const insertBatch = store.raw.transaction((batch: Row[]) => {
      for (const row of batch) insert.run(row);
    });
    const raw = rows(count, "r");
    const started = performance.now();
    for (let i = 0; i < raw.length; i += BATCH) insertBatch(raw.slice(i, i + BATCH));
    const rawRate = raw.length / ((performance.now() - started) / 1000);
    await store.close();
    return {
      metrics: {
        "sqlite store batched rows/s": Math.round(storeRate),
        "sqlite store single-row commits/s": Math.round(singles),
      },
      baselines: { "sqlite raw driver batched rows/s": Math.round(rawRate) },
      ratios: {
        "sqlite store / raw": storeRate / rawRate,
        "sqlite batched / single-row": storeRate / singles,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres(url: string, count: number): Promise<BenchFigures> {
  return withDatabase(url, `journeys_bench_${process.pid}`, async (dbUrl) => {
    const store = await openPostgresStore({ url: dbUrl, poolSize: 2 });
    await store.pool.query(DDL("jsonb"));
    const storeRate = await viaStore(store.db as unknown as BenchDb, rows(count, "s"));
    const singles = await singleRowCommits(
      store.db as unknown as BenchDb,
      rows(Math.min(count, 2_000), "one"),
    );

    const client = await store.pool.connect();
    const raw = rows(count, "r");
    const started = performance.now();
    for (let i = 0; i < raw.length; i += BATCH) {
      const batch = raw.slice(i, i + BATCH);
      const params: unknown[] = [];
      const tuples = batch.map((row, j) => {
        params.push(row.business_id, row.id, row.customer_id, row.name, row.properties, row.timestamp);
        const b = j * 6;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})`;
      });
      await client.query("begin");
      await client.query(
        `insert into bench_events (business_id, id, customer_id, name, properties, timestamp) values ${tuples.join(",")}`,
        params,
      );
      await client.query("commit");
    }
    const rawRate = raw.length / ((performance.now() - started) / 1000);
    client.release();
    await store.close();
    return {
      metrics: {
        "postgres store batched rows/s": Math.round(storeRate),
        "postgres store single-row commits/s": Math.round(singles),
      },
      baselines: { "postgres raw driver batched rows/s": Math.round(rawRate) },
      ratios: {
        "postgres store / raw": storeRate / rawRate,
        "postgres batched / single-row": storeRate / singles,
      },
    };
  });
}

const bench: Benchmark = async ({ quick, full, log }) => {
  const count = quick ? 20_000 : full ? 1_000_000 : 200_000;
  log(`writing ${count.toLocaleString("en-US")} rows per path in batches of ${BATCH}`);
  const parts: BenchFigures[] = [await sqlite(count)];
  try {
    parts.push(await postgres(benchDatabaseUrl(), count));
  } catch (error) {
    log(`PostgreSQL not measured (${(error as Error).message}); set BENCH_DATABASE_URL`);
  }
  return {
    metrics: Object.assign({}, ...parts.map((p) => p.metrics)),
    baselines: Object.assign({}, ...parts.map((p) => p.baselines)),
    ratios: Object.assign({}, ...parts.map((p) => p.ratios)),
    notes: [
      `${count} rows per path, ${BATCH} rows per transaction; single-row commits over ${Math.min(count, 2_000)} rows`,
    ],
  };
};

export default bench;
