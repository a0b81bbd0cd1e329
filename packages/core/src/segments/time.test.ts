import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluate } from "./evaluate";
import { customer, lookups } from "./testing";
import { todayIn } from "./time";
import { toDate } from "./values";

/** Is the customer's `birthday` attribute an anniversary at `now` in `timezone`? */
function birthdayToday(birthday: unknown, now: number, timezone: string | null = null): boolean {
  const facts = customer({ timezone, attributes: { birthday } });
  return evaluate({ attribute: "birthday", op: "anniversaryToday" }, facts, lookups(), now);
}

describe("anniversaryToday", () => {
  // 2024-05-11T12:00Z is already 12 May (00:00) in Auckland (UTC+12 in May).
  const aucklandMidnight = Date.UTC(2024, 4, 11, 12);

  it("uses the customer's time zone: a birthday that is today in Auckland but not yet in UTC", () => {
    assert.deepEqual(todayIn("Pacific/Auckland", aucklandMidnight), { year: 2024, month: 5, day: 12 });
    assert.equal(birthdayToday("1990-05-12", aucklandMidnight, "Pacific/Auckland"), true);
    assert.equal(birthdayToday("1990-05-12", aucklandMidnight, null), false, "still 11 May in UTC");
    assert.equal(birthdayToday("1990-05-11", aucklandMidnight, null), true);
    assert.equal(birthdayToday("1990-05-11", aucklandMidnight, "Pacific/Auckland"), false);
    // One millisecond earlier it is still 11 May in Auckland too.
    assert.equal(birthdayToday("1990-05-12", aucklandMidnight - 1, "Pacific/Auckland"), false);
  });

  it("and a customer west of UTC is still on yesterday", () => {
    const utcMorning = Date.UTC(2024, 6, 4, 3); // 4 July 03:00Z = 3 July 20:00 in Los Angeles
    assert.equal(birthdayToday("2000-07-04", utcMorning, "America/Los_Angeles"), false);
    assert.equal(birthdayToday("2000-07-03", utcMorning, "America/Los_Angeles"), true);
  });

  it("falls back to UTC for an unknown or missing time zone", () => {
    assert.equal(birthdayToday("1990-05-11", aucklandMidnight, "Mars/Olympus_Mons"), true);
    assert.equal(birthdayToday("1990-05-11", aucklandMidnight, ""), true);
  });

  it("keeps a 29 February anniversary on 28 February in non-leap years only", () => {
    const feb28 = (year: number) => Date.UTC(year, 1, 28, 12);
    const mar1 = (year: number) => Date.UTC(year, 2, 1, 12);
    assert.equal(birthdayToday("2000-02-29", feb28(2025)), true);
    assert.equal(birthdayToday("2000-02-29", mar1(2025)), false);
    assert.equal(birthdayToday("2000-02-29", feb28(2024)), false, "2024 has its own 29 February");
    assert.equal(birthdayToday("2000-02-29", Date.UTC(2024, 1, 29, 12)), true);
    assert.equal(birthdayToday("2000-02-29", feb28(2100)), true, "2100 is not a leap year");
    // A 28 February birthday is unaffected, leap year or not.
    assert.equal(birthdayToday("2001-02-28", feb28(2024)), true);
    assert.equal(birthdayToday("2001-02-28", feb28(2025)), true);
  });

  it("reads the calendar day as written, and epoch milliseconds as a UTC day", () => {
    const may12 = Date.UTC(2024, 4, 12, 12);
    assert.equal(birthdayToday("1990-05-12T23:30:00-05:00", may12), true, "written as 12 May");
    assert.equal(birthdayToday(Date.UTC(1990, 4, 12), may12), true);
    assert.equal(birthdayToday(String(Date.UTC(1990, 4, 12)), may12), false, "a numeric string is no date");
    assert.equal(birthdayToday("12 May 1990", may12), false, "not an ISO date");
    assert.equal(birthdayToday("1990-13-12", may12), false);
  });
});

describe("dates in customer data", () => {
  it("parses ISO dates without consulting the machine's time zone", () => {
    assert.equal(toDate("2024-01-01T10:00")?.ms, Date.UTC(2024, 0, 1, 10));
    assert.equal(toDate("2024-01-01 10:00:00.5")?.ms, Date.UTC(2024, 0, 1, 10, 0, 0, 500));
    assert.equal(toDate("2024-01-01T10:00+0130")?.ms, Date.UTC(2024, 0, 1, 8, 30));
    assert.equal(toDate("0050-06-01")?.year, 50, "years below 100 are not moved to the 1900s");
  });

  it("refuses what is not a real date", () => {
    for (const text of ["2023-02-29", "2024-00-10", "2024-01-01T24:00", "2024", "May 1", "", "2024-01-01Z"]) {
      assert.equal(toDate(text), null, text);
    }
    assert.equal(toDate(Number.NaN), null);
    assert.equal(toDate(1e20), null);
    assert.equal(toDate(String(Date.UTC(2024, 0, 1))), null, "epoch milliseconds come as numbers");
  });
});
