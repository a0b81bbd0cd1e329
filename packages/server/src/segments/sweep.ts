import { affectedSegments } from "@journeys/core";
import { listBusinesses } from "../accounts/businesses";
import type { Resources } from "../resources";
import { buildCatalog, loadSegments } from "./catalog";
import { recomputeSegments } from "./recompute";
import { recordDailySizes, recordSizes } from "./sizes";
import { withSegmentTransaction } from "./transaction";

export interface SweepReport {
  businesses: number;
  /** Segments recomputed (time-relative ones and their dependents). */
  recomputed: number;
  joined: number;
  left: number;
  /** Daily sizes recorded. */
  sizes: number;
}

/**
 * The periodic sweep (the worker runs it every minute): time alone can move customers in or out
 * of segments with a `withinDays` window or a `withinLastDays` / `anniversaryToday` op, so for
 * every business those segments — and, in graph order, the segments that read them — are
 * recomputed at `now`. It also records each segment's size once per UTC day.
 *
 * @example
 *   await sweepSegments(r, clock.now()); // tests pass a moved clock
 */
export async function sweepSegments(r: Resources, now = r.clock.now()): Promise<SweepReport> {
  const report: SweepReport = { businesses: 0, recomputed: 0, joined: 0, left: 0, sizes: 0 };
  for (const business of await listBusinesses(r)) {
    const cached = await r.catalogs.get(r.store.db, business.id);
    if (cached.segments.size === 0) continue;
    report.businesses++;
    if (cached.index.timeRelative.length === 0) {
      report.sizes += await recordDailySizes(r.store.db, business.id, [...cached.segments.keys()], now);
      continue;
    }
    await withSegmentTransaction(r.store, business.id, async (scan) => {
      // Re-read inside the transaction: an edit may have landed since the catalog was cached.
      const catalog = buildCatalog(business.id, 0, await loadSegments(scan.db, business.id));
      const ids = affectedSegments(catalog.index, { time: true });
      const deltas = await recomputeSegments(scan, catalog.segments, ids, now, business.settings.emailOptOut);
      for (const delta of deltas.values()) {
        report.recomputed++;
        report.joined += delta.joined.length;
        report.left += delta.left.length;
      }
      await recordSizes(scan.db, business.id, new Map([...deltas].map(([id, d]) => [id, d.size])), now);
      report.sizes += await recordDailySizes(scan.db, business.id, [...catalog.segments.keys()], now);
    });
  }
  return report;
}
