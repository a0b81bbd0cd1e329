import { countDeliveries } from "../ops/domain-metrics";
import type { Resources } from "../resources";
import { claimDeliveries } from "./claim";
import { type DeliveryResult, deliver } from "./deliver";
import type { ClaimedDelivery } from "./delivery";
import { batchLookups } from "./lookups";
import { type DispatchOptions, type ResolvedOptions, resolveOptions } from "./options";

/** What one `dispatchDue` pass did. `lost`: deliveries another worker took over meanwhile. */
export interface DispatchReport {
  claimed: number;
  sent: number;
  skipped: number;
  failed: number;
  retried: number;
  /** Queued again for later by quiet hours or a frequency cap. */
  deferred: number;
  lost: number;
}

/**
 * Claims one batch of due deliveries and takes each to its outcome (see `deliver`), up to
 * `concurrency` at a time. The worker loop calls it until a batch comes back short; tests
 * call it directly.
 *
 * @example
 *   const report = await dispatchDue(r, { providers, publicUrl: "https://journeys.example.com" });
 *   // → { claimed: 3, sent: 2, skipped: 1, failed: 0, retried: 0, lost: 0 }
 */
export async function dispatchDue(r: Resources, options: DispatchOptions): Promise<DispatchReport> {
  const resolved = resolveOptions(options);
  const batch = await claimDeliveries(r, { limit: resolved.batchSize, leaseMs: resolved.leaseMs });
  return deliverAll(r, batch, resolved);
}

/**
 * Takes deliveries the engine handed over (claimed for this process when it wrote them, see
 * `engine/hand-off.ts`) to their outcome, as `dispatchDue` does a claimed batch.
 */
export async function dispatchHanded(
  r: Resources,
  batch: ClaimedDelivery[],
  options: DispatchOptions,
): Promise<DispatchReport> {
  // On SQLite the engine committed them unflushed: on disk before anything is sent, as a
  // claim makes sure (on PostgreSQL the engine committed that batch flushed).
  if (r.store.dialect === "sqlite") await r.store.syncLog();
  return deliverAll(r, batch, resolveOptions(options));
}

/** Each delivery of a claimed batch to its outcome, up to `concurrency` at a time. */
async function deliverAll(r: Resources, batch: ClaimedDelivery[], resolved: ResolvedOptions) {
  const report: DispatchReport = {
    claimed: batch.length,
    sent: 0,
    skipped: 0,
    failed: 0,
    retried: 0,
    deferred: 0,
    lost: 0,
  };
  const lookups = batchLookups(r);
  const count = (result: DeliveryResult) => {
    if (result === "retrying") report.retried++;
    else report[result]++;
  };
  let next = 0;
  const lane = async () => {
    while (next < batch.length) {
      const d = batch[next++] as ClaimedDelivery;
      try {
        count(await deliver(r, d, lookups, resolved));
      } catch (error) {
        // A store error: the lease runs out and the delivery is claimed again.
        report.lost++;
        resolved.onError?.(error, d.id);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(resolved.concurrency, batch.length) }, lane));
  countDeliveries(r, report);
  return report;
}
