import { type RawBuilder, sql } from "kysely";
import { Counter, Gauge, Registry } from "prom-client";
import type { Resources } from "../resources";
import { CLAIMABLE } from "../store/claimable";
import type { Store } from "../store/store";

/**
 * What the product did, for Prometheus: counters the ingestion, engine and dispatcher code
 * bump as work commits (`count…` below), and gauges of the queues read from the store when
 * scraped (`registerQueueGauges`: the queues are shared by every process, so they are read,
 * not counted). Counters are per process — sum them across instances; the gauges are the whole
 * database's — take one instance's value (max), not the sum.
 *
 * One set of counters per store per process (like `ingestQueue`): code that holds `Resources`
 * bumps the set of its store, so the API and the worker in one process count together, and
 * tests that open many stores in one process do not see each other's numbers.
 */
export interface DomainMetrics {
  /** The Prometheus registry holding the counters; /metrics merges it into its own. */
  registry: Registry;
  ingested: Counter<"outcome">;
  workItems: Counter;
  nodes: Counter;
  batches: Counter;
  deliveries: Counter<"outcome">;
}

/** A queue deeper than this is reported as this: a scrape must stay cheap when the backlog is huge. */
export const GAUGE_CAP = 1_000_000;

const INGEST_OUTCOMES = ["accepted", "duplicate", "rejected"] as const;
const DELIVERY_OUTCOMES = ["sent", "skipped", "failed", "retried", "deferred", "lost"] as const;

const byStore = new WeakMap<Store, DomainMetrics>();

/** The metrics of `r`'s store, created on first use. */
export function domainMetrics(r: Resources): DomainMetrics {
  let metrics = byStore.get(r.store);
  if (!metrics) {
    metrics = createCounters();
    byStore.set(r.store, metrics);
  }
  return metrics;
}

/**
 * Counts a Segment ingestion call's messages by outcome and hands the result back, so the
 * caller can `return countIngested(r, { accepted, duplicates, rejected })`.
 */
export function countIngested<
  T extends { accepted: number; duplicates: number; rejected: readonly unknown[] },
>(r: Resources, result: T): T {
  const { ingested } = domainMetrics(r);
  ingested.inc({ outcome: "accepted" }, result.accepted);
  ingested.inc({ outcome: "duplicate" }, result.duplicates);
  ingested.inc({ outcome: "rejected" }, result.rejected.length);
  return result;
}

/** Counts committed engine work: items taken (each one interpreter call, or a no-op), nodes run, transactions. */
export function countEngineWork(
  r: Resources,
  done: { processed: number; nodes: number; transactions: number },
): void {
  const metrics = domainMetrics(r);
  metrics.workItems.inc(done.processed);
  metrics.nodes.inc(done.nodes);
  metrics.batches.inc(done.transactions);
}

/** Counts a dispatcher batch's deliveries by outcome (`lost`: another worker took the delivery over). */
export function countDeliveries(
  r: Resources,
  report: Record<(typeof DELIVERY_OUTCOMES)[number], number>,
): void {
  const { deliveries } = domainMetrics(r);
  for (const outcome of DELIVERY_OUTCOMES) deliveries.inc({ outcome }, report[outcome]);
}

function createCounters(): DomainMetrics {
  const registry = new Registry();
  const registers = [registry];
  const ingested = new Counter({
    name: "journeys_ingested_messages_total",
    help: "Segment-spec messages ingested, by outcome (accepted, duplicate, rejected)",
    labelNames: ["outcome"] as const,
    registers,
  });
  const deliveries = new Counter({
    name: "journeys_deliveries_total",
    help: "Outbox deliveries the dispatcher finished an attempt of, by outcome (sent, skipped, failed, retried, deferred, lost)",
    labelNames: ["outcome"] as const,
    registers,
  });
  // Every outcome shows from the first scrape (at 0), so rate() and alerts work before the first event.
  for (const outcome of INGEST_OUTCOMES) ingested.inc({ outcome }, 0);
  for (const outcome of DELIVERY_OUTCOMES) deliveries.inc({ outcome }, 0);
  const workItems = new Counter({
    name: "journeys_engine_work_items_total",
    help: "Due engine work items run through the journey interpreter (one interpreter call each, or a no-op)",
    registers,
  });
  const nodes = new Counter({
    name: "journeys_engine_nodes_total",
    help: "Journey nodes (message, delay, split) the engine executed",
    registers,
  });
  const batches = new Counter({
    name: "journeys_engine_batches_total",
    help: "Engine transactions committed (each holds a batch of work items)",
    registers,
  });
  return { registry, ingested, workItems, nodes, batches, deliveries };
}

type Count = RawBuilder<{ n: number | string }>;

const dueWork = (now: number): Count =>
  sql`select count(*) as n from (select 1 from engine_work where run_at <= ${now} limit ${GAUGE_CAP}) as due`;

const queuedDeliveries = (): Count =>
  // With the claim index's predicate, so SQLite walks that index.
  sql`select count(*) as n from (select 1 from deliveries where ${CLAIMABLE} and status = 'queued' limit ${GAUGE_CAP}) as queued`;

/**
 * Adds the queue gauges to `registry`, read through `r` (its store and clock) at every scrape.
 *
 * @example registerQueueGauges(registry, resources); // journeys_engine_work_due, journeys_outbox_depth
 */
export function registerQueueGauges(registry: Registry, r: Resources): void {
  const registers = [registry];
  new Gauge({
    name: "journeys_engine_work_due",
    help: `Engine work items due now and not yet run, whole database (read at scrape; at most ${GAUGE_CAP})`,
    registers,
    async collect() {
      this.set(await countOrNaN(r, dueWork));
    },
  });
  new Gauge({
    name: "journeys_outbox_depth",
    help: `Deliveries queued in the outbox (due or waiting for a retry), whole database (read at scrape; at most ${GAUGE_CAP})`,
    registers,
    async collect() {
      this.set(await countOrNaN(r, queuedDeliveries));
    },
  });
}

/**
 * Runs a capped count on the store's reader (on SQLite it does not wait behind a write
 * transaction); both counts walk an index (engine_work_due, deliveries_claimable). A store that does
 * not answer gives NaN — "unknown" — rather than failing the whole scrape or claiming an empty
 * queue.
 */
async function countOrNaN(r: Resources, count: (now: number) => Count): Promise<number> {
  try {
    const { rows } = await count(r.clock.now()).execute(r.store.reader);
    return Number(rows[0]?.n ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}
