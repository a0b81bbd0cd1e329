import { createBusinessWithOwner } from "../../packages/server/src/accounts/bootstrap";
import { readBusiness } from "../../packages/server/src/accounts/businesses";
import { SecretBox } from "../../packages/server/src/channels/secret-box";
import { systemClock } from "../../packages/server/src/clock";
import { withCustomerWriter } from "../../packages/server/src/customers/with-writer";
import { journeyTriggers } from "../../packages/server/src/engine/triggers";
import { newId } from "../../packages/server/src/ids";
import { ingest } from "../../packages/server/src/ingest/ingest";
import { parseMessage } from "../../packages/server/src/ingest/messages";
import { applyMessages } from "../../packages/server/src/ingest/pipeline";
import type { Resources } from "../../packages/server/src/resources";
import { SegmentCatalogs } from "../../packages/server/src/segments/catalog";
import { openPostgresStore } from "../../packages/server/src/store/postgres/postgres-store";
import { RenderThreads } from "../../packages/server/src/templates/render-threads";
import { LOCAL_OUTBOUND } from "../../packages/server/src/testing/outbound";
import { insertSegments } from "../../packages/server/src/testing/segments";
import { withDatabase } from "../postgres-database";
import type { BenchFigures } from "../types";
import { importRate } from "./import";
import { messages, SEGMENTS } from "./workload";

const CALL = 500;
const IN_FLIGHT = 4;

/**
 * Two stores on one database (two API processes, in one process here), each with four calls
 * in flight, their calls interleaved over the same users, none of whom exists yet: both
 * processes create the same customers at once. Every call must be answered.
 */
async function twoProcesses(
  dbUrl: string,
  here: Resources,
  businessId: string,
  all: Record<string, unknown>[],
) {
  const sibling = await openPostgresStore({ url: dbUrl, migrate: false });
  const there: Resources = {
    ...here,
    store: sibling,
    catalogs: new SegmentCatalogs(),
    outbound: LOCAL_OUTBOUND,
    renderer: new RenderThreads(),
    secrets: SecretBox.ephemeral(),
  };
  let failed = 0;
  const started = performance.now();
  try {
    await Promise.all(
      [here, there].flatMap((r, p) =>
        Array.from({ length: IN_FLIGHT }, async (_, k) => {
          for (let i = (p * IN_FLIGHT + k) * CALL; i < all.length; i += 2 * IN_FLIGHT * CALL) {
            try {
              await ingest(r, businessId, all.slice(i, i + CALL));
            } catch {
              failed++;
            }
          }
        }),
      ),
    );
  } finally {
    await sibling.close();
  }
  return { rate: all.length / ((performance.now() - started) / 1000), failed };
}

/**
 * Ingestion on PostgreSQL in one process: the same workload as the embedded run, in calls of
 * 500 with four in flight, through `ingest` (group commit, the batched writer). Baseline, in
 * the same run and database: the same pipeline with the per-message writer (kyselyWriter, a
 * round trip per read and per write), one call of 500 per transaction, one at a time.
 * In-process (no HTTP) for both, so the figures compare the writers.
 */
export async function postgresFigures(
  url: string,
  quick: boolean,
  log: (line: string) => void,
): Promise<BenchFigures> {
  const total = quick ? 20_000 : 50_000;
  const customers = quick ? 5_000 : 20_000;
  const baselineTotal = quick ? 3_000 : 10_000;
  return withDatabase(url, `journeys_bench_ingest_${process.pid}`, async (dbUrl) => {
    const store = await openPostgresStore({ url: dbUrl });
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
      const { businessId } = await createBusinessWithOwner(r, {
        name: "Bench",
        plan: "enterprise",
        ownerEmail: "bench@example.com",
      });
      await insertSegments(store, businessId, SEGMENTS);
      log(`postgres: ${customers.toLocaleString("en-US")} customers`);
      const warm = messages(customers, customers, "warm").map((m, i) => ({
        ...m,
        type: "identify",
        userId: `user-${i}`,
        traits: { plan: "free", email: `user-${i}@example.com` },
      }));
      for (let i = 0; i < warm.length; i += CALL) await ingest(r, businessId, warm.slice(i, i + CALL));

      const inCalls = async (
        all: Record<string, unknown>[],
        inFlight: number,
        call: (batch: Record<string, unknown>[]) => Promise<void>,
      ) => {
        let next = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: inFlight }, async () => {
            for (let i = next; i < all.length; i = next) {
              next += CALL;
              await call(all.slice(i, i + CALL));
            }
          }),
        );
        return all.length / ((performance.now() - started) / 1000);
      };

      log(`postgres: ingesting ${total.toLocaleString("en-US")} messages`);
      const batched = await inCalls(messages(total, customers, "run"), IN_FLIGHT, async (batch) => {
        const result = await ingest(r, businessId, batch);
        if (result.accepted !== batch.length)
          throw new Error(`ingest refused: ${JSON.stringify(result).slice(0, 300)}`);
      });

      log(`postgres: ${baselineTotal.toLocaleString("en-US")} messages through the per-message writer`);
      // One transaction at a time, as one process's group commit ran them: per-message locking in
      // several transactions at once deadlocks (two calls lock shared customers in different orders).
      const perMessage = await inCalls(messages(baselineTotal, customers, "base"), 1, async (batch) => {
        const at = Date.now();
        const parsed = batch.map((raw) => parseMessage(raw, at, {}));
        const valid = parsed.flatMap((p) => (p.ok ? [p.message] : []));
        await withCustomerWriter(store, businessId, async (w, db) => {
          const business = await readBusiness(db, businessId);
          const catalog = await r.catalogs.get(db, businessId);
          const eventTriggers = await journeyTriggers(store).forBusiness(businessId, db);
          await applyMessages(w, { business: business!, catalog, eventTriggers, newId, now: at }, valid);
        });
      });
      log("postgres: a CSV import, then two processes ingesting new customers at once");
      const imported = await importRate(r, businessId, quick ? 2_000 : 5_000, "imp");
      const two = await twoProcesses(dbUrl, r, businessId, messages(quick ? 8_000 : 20_000, 2_000, "two"));
      return {
        metrics: {
          "postgres ingest events/s (one process, in-process calls)": Math.round(batched),
          "postgres CSV import rows/s (new customers, 20 segments)": Math.round(imported),
          "postgres two processes at once, events/s (new customers in both)": Math.round(two.rate),
          "postgres two processes at once, failed calls": two.failed,
        },
        baselines: {
          "postgres per-message writer events/s (same pipeline, same database)": Math.round(perMessage),
        },
        ratios: { "postgres batched writer / per-message writer": batched / perMessage },
        notes: [
          `postgres: ${total} messages over ${customers} customers (baseline ${baselineTotal}), calls of ${CALL}, ${IN_FLIGHT} in flight (baseline: 1), no HTTP`,
        ],
      };
    } finally {
      await store.close();
    }
  });
}
