/**
 * What each attribute op means, on one value. Shared by attribute conditions (the value is a
 * customer field) and event `where` filters (the value is an event property), so an op means
 * the same thing everywhere a marketer can pick it.
 *
 * A value is *missing* when it is absent, `null` or `undefined`. A missing value fails every op
 * except `neq` and `notExists`, so that `neq` is always the exact negation of `eq` (and
 * `notExists` of `exists`): "plan is not pro" includes customers with no plan at all, the way
 * `{ not: { … eq … } }` would. Every other op needs something to test.
 *
 * @example
 *   testValue({ op: "contains", value: "VIP" }, ["new", "vip"], now, null); // true
 *   testValue({ op: "neq", value: "pro" }, undefined, now, null);           // true
 */
import type { Scalar, ValueTest } from "./condition";
import { DAY_MS, isAnniversaryToday, todayIn } from "./time";
import { compareValues, sameValue, toDate } from "./values";

export function isMissing(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/**
 * Does `actual` pass `test`? `now` (epoch ms) and `timeZone` (IANA, null → UTC) are only read by
 * the time-relative ops.
 */
export function testValue(test: ValueTest, actual: unknown, now: number, timeZone: string | null): boolean {
  if (isMissing(actual)) return test.op === "neq" || test.op === "notExists";
  switch (test.op) {
    case "exists":
      return true;
    case "notExists":
      return false;
    case "eq":
      return sameValue(actual, test.value);
    case "neq":
      return !sameValue(actual, test.value);
    case "contains":
      return contains(actual, test.value);
    case "startsWith":
      return asText(actual)?.startsWith(test.value.toLowerCase()) ?? false;
    case "gt":
      return (order(actual, test.value, timeZone) ?? 0) > 0;
    case "gte":
      return (order(actual, test.value, timeZone) ?? -1) >= 0;
    case "lt":
      return (order(actual, test.value, timeZone) ?? 0) < 0;
    case "lte":
      return (order(actual, test.value, timeZone) ?? 1) <= 0;
    case "in":
      // A list attribute is "in" the values when any of its elements is (tags in [a, b]).
      return Array.isArray(actual)
        ? actual.some((element) => isOneOf(element, test.value))
        : isOneOf(actual, test.value);
    case "before":
    case "after": {
      const byDay = dayOrder(actual, test.value, timeZone);
      if (byDay !== undefined) return byDay !== null && (test.op === "before" ? byDay < 0 : byDay > 0);
      const date = toDate(actual)?.ms;
      const bound = toDate(test.value)?.ms;
      if (date === undefined || bound === undefined) return false;
      return test.op === "before" ? date < bound : date > bound;
    }
    case "withinLastDays": {
      // A date without a time (a signup day) is within the last N days of the customer's own
      // calendar: from N days before their today, up to and including today.
      if (isDateOnly(actual)) {
        const today = todayIn(timeZone, now);
        const first = dayKey(
          todayIn(null, Date.UTC(today.year, today.month - 1, today.day) - test.value * DAY_MS),
        );
        const day = actual.trim();
        return day >= first && day <= dayKey(today);
      }
      const date = toDate(actual)?.ms;
      return date !== undefined && date >= now - test.value * DAY_MS && date <= now;
    }
    case "anniversaryToday": {
      const date = toDate(actual);
      return date !== null && isAnniversaryToday(date, todayIn(timeZone, now));
    }
  }
}

/** `gt`…`lte`: by calendar day against a date-only bound, else as `compareValues` orders them. */
function order(actual: unknown, bound: unknown, timeZone: string | null): number | null {
  const byDay = dayOrder(actual, bound, timeZone);
  return byDay === undefined ? compareValues(actual, bound) : byDay;
}

/**
 * Against a date without a time ("2024-05-10"), a customer's date is a calendar day: the day
 * written for a date-only value, else the day it falls on in the customer's time zone (UTC
 * when unknown) — so "on or before 10 May" includes all of 10 May, wherever they live.
 * Undefined when the bound is not date-only (compare instants); null when `actual` is no date.
 */
function dayOrder(actual: unknown, bound: unknown, timeZone: string | null): number | null | undefined {
  if (!isDateOnly(bound)) return undefined;
  const date = toDate(actual);
  if (date === null || typeof actual === "boolean") return null;
  const day = isDateOnly(actual) ? actual.trim() : dayKey(todayIn(timeZone, date.ms));
  const other = bound.trim();
  return day === other ? 0 : day < other ? -1 : 1;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A date without a time ("2024-05-10"): compared as a calendar day (see `dayOrder`). */
export function isDateOnly(value: unknown): value is string {
  return typeof value === "string" && DATE_ONLY.test(value.trim());
}

/** "2024-05-10": ISO calendar days order as text. */
function dayKey(day: { year: number; month: number; day: number }): string {
  const pad = (n: number, width: number) => String(n).padStart(width, "0");
  return `${pad(day.year, 4)}-${pad(day.month, 2)}-${pad(day.day, 2)}`;
}

/** Lower-cased text of a string or number (a phone stored as a number still starts with "44"). */
function asText(value: unknown): string | null {
  if (typeof value === "string") return value.toLowerCase();
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

/** Case-insensitive substring on text; element membership (also case-insensitive) on lists. */
function contains(actual: unknown, expected: Scalar): boolean {
  if (Array.isArray(actual)) return actual.some((element) => sameValue(element, expected, true));
  const haystack = asText(actual);
  if (haystack === null || typeof expected === "boolean") return false;
  return haystack.includes(String(expected).toLowerCase());
}

function isOneOf(actual: unknown, values: readonly Scalar[]): boolean {
  return values.some((value) => sameValue(actual, value));
}
