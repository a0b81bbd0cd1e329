import { affectedSegments } from "@journeys/core";
import { listBusinesses } from "../accounts/businesses";
import type { Resources } from "../resources";
import { buildCatalog, loadSegments } from "./catalog";
import { recomputeSegments } from "./recompute";
import { businessIn } from "./segments";
import { recordDailySizes, recordSizes } from "./sizes";
import { withSegmentTransaction } from "./transaction";

export interface SweepReport {
  businesses: number;
  /** Segments recomputed (time-relative ones and their dependents). */
  recomputed: number;
  joined: number;
  left: number;
  /** Rows of today's sizes written (missing, or behind the members now). */
  sizes: number;
}

/**
 * The periodic sweep (the worker runs it every minute): time alone can move customers in or out
 * of segments with a `withinDays` window or a `withinLastDays` / `anniversaryToday` op, so for
 * every business those segments — and, in graph order, the segments that read them — are
 * recomputed at `now`. It also keeps each segment's recorded size for today in line with its
 * members, so a day's row ends the day at the size the segment had then.
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
      const { settings } = await businessIn(scan.db, business.id);
      const deltas = await recomputeSegments(scan, catalog.segments, ids, now, settings.emailOptOut);
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
