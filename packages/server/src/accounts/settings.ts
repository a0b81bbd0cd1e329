import { dependencies, frequencyCapProblem, isChannel, isTimeZone, quietHoursProblem } from "@journeys/core";
import { JourneysError, notFound } from "../errors";
import type { Resources } from "../resources";
import { loadSegments } from "../segments/catalog";
import { recomputeWithDependents } from "../segments/segments";
import { withSegmentTransaction } from "../segments/transaction";
import { writeJson } from "../store/json";
import { type Business, type BusinessSettings, getBusiness, readBusiness } from "./businesses";

// Apart from businesses.ts: a settings change recomputes segments, and segments read businesses.

/**
 * Changes the business's settings (only those given). Switching email to opt-out (or back)
 * changes who `{ "subscribed": "email" }` selects, so in the same transaction every segment
 * that reads email consent, and every segment that reads those, is recomputed, writing the
 * joined / left membership events journeys consume. The transaction is a segment edit's
 * (the business row locked on PostgreSQL, the write lock on SQLite), so no profile write or
 * sweep interleaves with the change.
 *
 * @example
 *   await changeSettings(r, "bus_…", { emailOptOut: true }); // `unknown` email consent now counts
 */
export async function changeSettings(
  r: Resources,
  id: string,
  patch: Partial<BusinessSettings>,
): Promise<Business> {
  const problem = settingsProblem(patch);
  if (problem) throw new JourneysError("bad_request", "invalid_settings", problem);
  await withSegmentTransaction(r.store, id, async (scan) => {
    const business = await readBusiness(scan.db, id);
    if (!business) throw notFound("business");
    const emailOptOut = patch.emailOptOut ?? business.settings.emailOptOut;
    const next = { ...business.settings, ...definedOnly(patch), emailOptOut };
    if (JSON.stringify(next) === JSON.stringify(business.settings)) return;
    await scan.db
      .updateTable("businesses")
      .set({ settings: writeJson(next) })
      .where("id", "=", id)
      .execute();
    if (emailOptOut === business.settings.emailOptOut) return;
    const segments = await loadSegments(scan.db, id);
    const readers = segments.filter((s) => s.rule && dependencies(s.rule).subscriptions.has("email"));
    if (readers.length === 0) return;
    await recomputeWithDependents(
      scan,
      segments,
      readers.map((s) => s.id),
      r.clock.now(),
      emailOptOut,
    );
  });
  return getBusiness(r, id);
}

/** The highest send rate a business may set on a channel, per second (the limiter counts whole milliseconds). */
export const MAX_SEND_RATE = 1000;

/** Why the sending settings are wrong (naming the field), or null. */
export function settingsProblem(patch: Partial<BusinessSettings>): string | null {
  if (patch.timezone !== undefined && !isTimeZone(patch.timezone))
    return `settings.timezone must be an IANA time zone such as "Europe/Paris", got "${patch.timezone}"`;
  if (patch.quietHours) {
    const problem = quietHoursProblem(patch.quietHours);
    if (problem) return `settings.quietHours.${problem}`;
  }
  for (const [i, cap] of (patch.frequencyCaps ?? []).entries()) {
    const problem = frequencyCapProblem(cap);
    if (problem) return `settings.frequencyCaps[${i}].${problem}`;
  }
  if ((patch.frequencyCaps?.length ?? 0) > 10) return "settings.frequencyCaps has at most 10 caps";
  for (const [channel, rate] of Object.entries(patch.sendRates ?? {})) {
    if (!isChannel(channel))
      return `settings.sendRates.${channel} is not a channel (email, sms, whatsapp, telegram, push)`;
    if (typeof rate !== "number" || !(rate > 0) || rate > MAX_SEND_RATE)
      return `settings.sendRates.${channel} must be messages per second, more than 0 and at most ${MAX_SEND_RATE}`;
  }
  return null;
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
