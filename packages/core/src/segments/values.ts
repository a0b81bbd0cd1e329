/**
 * How rule values meet customer data: numbers and numeric strings, ISO dates and epoch
 * milliseconds. Customer attributes arrive as untyped JSON from many SDKs, so comparisons
 * coerce — but only where the meaning is unambiguous (no seconds-vs-milliseconds guessing).
 *
 * @example
 *   toNumber("42.5");                 // 42.5
 *   toDate("2024-02-29").month;       // 2
 *   sameValue(3, "3");                // true
 */

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/** A finite number from a number or a numeric string ("42", " -1.5e3 "); otherwise null. */
export function toNumber(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  if (!NUMERIC.test(trimmed)) return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : null;
}

/** An instant plus the calendar day a person meant by it (used for anniversaries). */
export interface CalendarDate {
  ms: number;
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
}

// YYYY-MM-DD, optionally followed by a time and then an offset. Parsed by hand because
// Date.parse reads an offset-less date-time in the process's local zone, which would make
// the evaluator depend on the machine it runs on.
const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const MAX_EPOCH_MS = 8.64e15;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function utcMs(year: number, month: number, day: number, h: number, m: number, s: number, ms: number) {
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(h, m, s, ms);
  return date.getTime();
}

function parseIso(text: string): CalendarDate | null {
  const match = ISO_DATE.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", offset] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (offset && offset.toUpperCase() !== "Z") {
    const digits = offset.replace(":", "");
    const sign = digits.startsWith("-") ? -1 : 1;
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const millis = Math.floor(Number(`0.${frac || "0"}`) * 1000);
  const ms = utcMs(year, month, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  if (Math.abs(ms) > MAX_EPOCH_MS) return null;
  // The calendar day is the one written, not the UTC one: "1990-05-12T23:30-05:00" is a
  // birthday on 12 May wherever the server is.
  return { ms, year, month, day };
}

function fromEpoch(ms: number): CalendarDate | null {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_EPOCH_MS) return null;
  const date = new Date(ms);
  return { ms, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/**
 * A date from an ISO 8601 string (date, or date-time; no offset means UTC) or a number of epoch
 * milliseconds. Anything else is null — including numeric strings: "2024" is a year to a
 * person and 2024 ms after 1970 to a parser, and the evaluator should not pick one.
 */
export function toDate(value: unknown): CalendarDate | null {
  if (typeof value === "number") return fromEpoch(value);
  return typeof value === "string" ? parseIso(value) : null;
}

/**
 * The instant an ISO 8601 date or date-time names, in epoch ms; a date-time without an offset is
 * UTC, wherever the server runs (Date.parse would read it in the process's zone). Null when the
 * text is no such date.
 *
 * @example isoInstant("2024-05-10T10:00:00") // → 1715335200000, under any TZ
 */
export function isoInstant(text: string): number | null {
  return parseIso(text)?.ms ?? null;
}

/** Is this string an ISO date (not a bare number)? Used to decide how `gt`/`lt` compare. */
export function isIsoDate(value: unknown): boolean {
  return typeof value === "string" && parseIso(value) !== null;
}

/**
 * Equality as a marketer means it: a number equals a numeric string of the same value
 * (`3` = `"3"` = `"3.0"`, but `"3"` ≠ `"3.0"`: two strings compare as text), a boolean equals
 * `"true"`/`"false"`, strings compare exactly (case-sensitive) unless `ignoreCase`. Arrays,
 * objects and null never equal anything.
 */
export function sameValue(actual: unknown, expected: unknown, ignoreCase = false): boolean {
  if (typeof actual === "string" && typeof expected === "string") {
    return ignoreCase ? actual.toLowerCase() === expected.toLowerCase() : actual === expected;
  }
  if (typeof actual === "number" || typeof expected === "number") {
    const a = toNumber(actual);
    return a !== null && a === toNumber(expected);
  }
  if (typeof actual === "boolean" || typeof expected === "boolean") {
    return asBoolean(actual) === asBoolean(expected) && asBoolean(actual) !== null;
  }
  return false;
}

function asBoolean(value: unknown): boolean | null {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return null;
  const lower = value.trim().toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : null;
}

/**
 * Orders two values for `gt`/`gte`/`lt`/`lte`: as numbers when both are numeric, else as dates
 * when both are dates; otherwise they are not comparable (null) and the comparison fails.
 */
export function compareValues(actual: unknown, expected: unknown): number | null {
  const a = toNumber(actual);
  const b = toNumber(expected);
  if (a !== null && b !== null) return Math.sign(a - b);
  // An epoch-ms number against an ISO date is a date comparison; two bare numbers never get here.
  const da = toDate(actual);
  const db = toDate(expected);
  if (da && db && (isIsoDate(actual) || isIsoDate(expected))) return Math.sign(da.ms - db.ms);
  return null;
}
