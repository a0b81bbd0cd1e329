/**
 * Calendar questions a rule asks about *now*, answered in the customer's time zone.
 * Intl.DateTimeFormat is pure given the instant, so the core stays clock-free.
 *
 * @example
 *   todayIn("Pacific/Auckland", Date.UTC(2024, 4, 11, 12)); // { year: 2024, month: 5, day: 12 }
 *   isAnniversaryToday({ month: 2, day: 29 }, { year: 2025, month: 2, day: 28 }); // true
 */
import { isLeapYear } from "./values";

export const DAY_MS = 86_400_000;

export interface CalendarDay {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
// Time zones come from customer data; bound the cache so junk values cannot grow it forever.
const MAX_FORMATTERS = 1_000;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
    });
  } catch (error) {
    // An unknown IANA name is the customer's data being wrong, not the rule: fall back to UTC.
    if (timeZone === "UTC") throw error;
    formatter = formatterFor("UTC");
  }
  if (formatters.size >= MAX_FORMATTERS) formatters.clear();
  formatters.set(timeZone, formatter);
  return formatter;
}

/** The calendar day it is at `now` in `timeZone` (an IANA name; null or unknown → UTC). */
export function todayIn(timeZone: string | null, now: number): CalendarDay {
  const parts = formatterFor(timeZone || "UTC").formatToParts(now);
  const field = (type: "year" | "month" | "day") => Number(parts.find((p) => p.type === type)?.value);
  return { year: field("year"), month: field("month"), day: field("day") };
}

/**
 * Does a date's month and day fall on `today`? A 29 February anniversary is kept on
 * 28 February in non-leap years, so leap-day birthdays are not skipped three years in four.
 */
export function isAnniversaryToday(date: { month: number; day: number }, today: CalendarDay): boolean {
  if (date.month === 2 && date.day === 29 && !isLeapYear(today.year)) {
    return today.month === 2 && today.day === 28;
  }
  return date.month === today.month && date.day === today.day;
}
