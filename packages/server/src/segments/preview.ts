import { dependencies } from "@journeys/core";
import type { Resources } from "../resources";
import { counterId, loadSegments } from "./catalog";
import { matchingEvents } from "./counters";
import { type CustomerSummary, customerSummaries } from "./members";
import { type CountLoader, evaluateRules } from "./recompute";
import { assertGraph, businessIn, parseRule } from "./segments";
import { withSegmentTransaction } from "./transaction";

export interface Preview {
  count: number;
  /** The first matching customers in id order, at most `SAMPLE_SIZE`. */
  sample: CustomerSummary[];
}

export const SAMPLE_SIZE = 20;
// No stored segment can have this id, so a rule naming `seg_preview` is an unknown segment,
// not a loop through the preview itself.
const PREVIEW_ID = "(this preview)";

/**
 * Who would be in a segment with this rule, now, without saving anything. Event conditions
 * whose counter a saved segment already keeps read its hits; new ones are counted from the
 * stored events directly, so the preview agrees with what the saved segment will hold.
 */
export async function previewSegment(r: Resources, businessId: string, input: unknown): Promise<Preview> {
  const rule = parseRule(input);
  if (rule === null) return { count: 0, sample: [] };
  return withSegmentTransaction(
    r.store,
    businessId,
    async (scan) => {
      const business = await businessIn(scan.db, businessId);
      const now = r.clock.now();
      const segments = await loadSegments(scan.db, businessId);
      assertGraph([...segments, { id: PREVIEW_ID, name: "preview", rule }]);
      const live = new Set(
        (
          await scan.db
            .selectFrom("counters")
            .select("counter")
            .where("business_id", "=", businessId)
            .execute()
        ).map((c) => c.counter),
      );
      const fromEvents = new Map<string, { customerId: string; timestamp: number }[]>();
      const loadCounts: CountLoader = async (key, selector, since) => {
        if (live.has(counterId(key))) return null;
        let hits = fromEvents.get(key);
        if (!hits) {
          hits = await matchingEvents(scan, selector);
          fromEvents.set(key, hits);
        }
        const counts = new Map<string, number>();
        for (const hit of hits) {
          if (since === null || hit.timestamp >= since) {
            counts.set(hit.customerId, (counts.get(hit.customerId) ?? 0) + 1);
          }
        }
        return counts;
      };
      const fixed = new Map<string, Set<string>>();
      for (const read of dependencies(rule).segments) fixed.set(read, await scan.members(read));
      const { next } = await evaluateRules(
        scan,
        [[PREVIEW_ID, rule]],
        fixed,
        now,
        business.settings.emailOptOut,
        loadCounts,
      );
      const members = next.get(PREVIEW_ID)!;
      const sample: string[] = [];
      for (const id of members) {
        if (sample.length === SAMPLE_SIZE) break;
        sample.push(id);
      }
      return { count: members.size, sample: await customerSummaries(scan.db, businessId, sample) };
    },
    { readOnly: true },
  );
}
