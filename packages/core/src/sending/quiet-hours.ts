import { instantOf, wallClockAt } from "./zoned-time";

/**
 * Hours of the recipient's day when no marketing message goes out, as wall-clock times
 * `"HH:MM"`; `start` after `end` spans midnight (21:00 → 08:00). A message due inside them is
 * deferred to `end`, never dropped.
 */
export interface QuietHours {
  start: string;
  end: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Why the quiet hours are malformed, or null. */
export function quietHoursProblem(q: QuietHours): string | null {
  if (!HHMM.test(q.start)) return `start must be a time "HH:MM" (00:00–23:59), got "${q.start}"`;
  if (!HHMM.test(q.end)) return `end must be a time "HH:MM" (00:00–23:59), got "${q.end}"`;
  if (q.start === q.end) return "start and end must differ";
  return null;
}

const minutes = (hhmm: string) => {
  const [, h, m] = HHMM.exec(hhmm)!;
  return Number(h) * 60 + Number(m);
};

/**
 * The first instant at or after `now` outside the quiet hours, in `timeZone` (DST-correct: the
 * end is the wall-clock time on the right day, whatever the offset did overnight).
 *
 * @example
 *   // 23:10 in Paris, quiet 21:00–08:00 → 08:00 the next morning, Paris time
 *   quietUntil(Date.UTC(2026, 2, 28, 22, 10), { start: "21:00", end: "08:00" }, "Europe/Paris")
 *   // → Date.UTC(2026, 2, 29, 6, 0) (CEST began that night)
 */
export function quietUntil(now: number, quiet: QuietHours, timeZone: string): number {
  const wall = wallClockAt(now, timeZone);
  const at = wall.hour * 60 + wall.minute;
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  const inside = start < end ? at >= start && at < end : at >= start || at < end;
  if (!inside) return now;
  // The end is today when it is still ahead on the wall clock, else tomorrow.
  const day = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + (at < end ? 0 : 1)));
  return instantOf(
    {
      year: day.getUTCFullYear(),
      month: day.getUTCMonth() + 1,
      day: day.getUTCDate(),
      hour: Math.floor(end / 60),
      minute: end % 60,
    },
    timeZone,
  );
}
