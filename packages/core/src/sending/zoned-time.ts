/**
 * Wall-clock time in an IANA time zone, both ways, with Intl only (the core stays pure).
 *
 * @example
 *   wallClockAt(Date.UTC(2026, 2, 29, 1, 30), "Europe/Paris") // { year: 2026, month: 3, day: 29, hour: 3, minute: 30 }
 *   instantOf({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, "Europe/Paris") // 03:00 CEST: the gap's end
 */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    if (formatters.size >= 1_000) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the zone. */
export function isTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `timeZone` at `instant` (epoch ms). */
export function wallClockAt(instant: number, timeZone: string): WallClock {
  const parts = formatter(timeZone).formatToParts(instant);
  const n = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return { year: n("year"), month: n("month"), day: n("day"), hour: n("hour"), minute: n("minute") };
}

/** The zone's offset from UTC at `instant`, in ms (Paris in summer: +7,200,000). */
export function offsetAt(instant: number, timeZone: string): number {
  const w = wallClockAt(instant, timeZone);
  const seconds = new Date(instant).getUTCSeconds();
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, seconds);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant the wall clock in `timeZone` shows `wall`. A time skipped by a DST change
 * (02:30 on a spring-forward night) is the first instant after the gap; a time that happens
 * twice (01:30 on a fall-back night) is the earlier one.
 */
export function instantOf(wall: WallClock, timeZone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  // The offsets either side of the wanted time; try the earlier reading first.
  const candidates = [
    ...new Set([offsetAt(asUtc - 86_400_000 / 2, timeZone), offsetAt(asUtc + 86_400_000 / 2, timeZone)]),
  ]
    .map((offset) => asUtc - offset)
    .sort((a, b) => a - b);
  for (const instant of candidates) {
    const seen = wallClockAt(instant, timeZone);
    if (seen.hour === wall.hour && seen.minute === wall.minute && seen.day === wall.day) return instant;
  }
  // In a gap: the moment the clocks jump, which shows the first wall time after it.
  const before = candidates[0]!;
  const after = candidates[candidates.length - 1]!;
  let lo = Math.min(before, after) - 3_600_000 * 3;
  let hi = Math.max(before, after) + 3_600_000 * 3;
  const target = asUtc;
  const wallMs = (i: number) => i + offsetAt(i, timeZone);
  while (hi - lo > 60_000) {
    const mid = Math.floor((lo + hi) / 2 / 60_000) * 60_000;
    if (wallMs(mid) < target) lo = mid;
    else hi = mid;
  }
  return hi;
}
