import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ValueTest } from "./condition";
import { evaluate } from "./evaluate";
import { customer, lookups, NOW } from "./testing";

const DAY = 86_400_000;

/** Does a customer whose attribute `x` is `value` (absent when undefined) pass `test`? */
function holds(test: ValueTest, value?: unknown, timezone: string | null = null): boolean {
  const attributes = value === undefined ? {} : { x: value };
  return evaluate({ attribute: "x", ...test }, customer({ attributes, timezone }), lookups(), NOW);
}

describe("attribute ops", () => {
  it("eq compares numbers with numeric strings, booleans with 'true'/'false', text exactly", () => {
    assert.equal(holds({ op: "eq", value: "pro" }, "pro"), true);
    assert.equal(holds({ op: "eq", value: "pro" }, "Pro"), false, "eq is case-sensitive");
    assert.equal(holds({ op: "eq", value: 3 }, "3"), true);
    assert.equal(holds({ op: "eq", value: "3" }, 3), true);
    assert.equal(holds({ op: "eq", value: 3 }, "3.0"), true);
    assert.equal(holds({ op: "eq", value: "3" }, "3.0"), false, "two strings compare as text");
    assert.equal(holds({ op: "eq", value: 3 }, "three"), false);
    assert.equal(holds({ op: "eq", value: true }, "true"), true);
    assert.equal(holds({ op: "eq", value: "false" }, false), true);
    assert.equal(holds({ op: "eq", value: true }, 1), false);
    assert.equal(holds({ op: "eq", value: "pro" }, ["pro"]), false, "a list never equals a scalar");
    assert.equal(holds({ op: "eq", value: "pro" }, { plan: "pro" }), false);
  });

  it("neq is the negation of eq, so a missing attribute is 'not pro'", () => {
    assert.equal(holds({ op: "neq", value: "pro" }, "basic"), true);
    assert.equal(holds({ op: "neq", value: "pro" }, "pro"), false);
    assert.equal(holds({ op: "neq", value: 3 }, "3"), false);
    assert.equal(holds({ op: "neq", value: "pro" }), true);
    assert.equal(holds({ op: "neq", value: "pro" }, null), true);
  });

  it("a missing or null attribute fails every other op", () => {
    const tests: ValueTest[] = [
      { op: "eq", value: "" },
      { op: "contains", value: "" },
      { op: "startsWith", value: "" },
      { op: "gt", value: -1e9 },
      { op: "lte", value: 1e9 },
      { op: "exists" },
      { op: "in", value: ["a"] },
      { op: "before", value: "2999-01-01" },
      { op: "after", value: "1900-01-01" },
      { op: "withinLastDays", value: 1e6 },
      { op: "anniversaryToday" },
    ];
    for (const test of tests) {
      assert.equal(holds(test), false, `${test.op} on a missing attribute`);
      assert.equal(holds(test, null), false, `${test.op} on null`);
    }
    assert.equal(holds({ op: "notExists" }), true);
    assert.equal(holds({ op: "notExists" }, null), true);
  });

  it("exists is true for any present value, even empty or false", () => {
    for (const value of ["", 0, false, [], {}]) assert.equal(holds({ op: "exists" }, value), true);
    assert.equal(holds({ op: "notExists" }, ""), false);
  });

  it("contains is a case-insensitive substring on text and numbers", () => {
    assert.equal(holds({ op: "contains", value: "GMAIL" }, "ada@gmail.com"), true);
    assert.equal(holds({ op: "contains", value: "yahoo" }, "ada@gmail.com"), false);
    assert.equal(holds({ op: "contains", value: "" }, "anything"), true);
    assert.equal(holds({ op: "contains", value: 770 }, 447700900), true);
    assert.equal(holds({ op: "contains", value: true }, "true"), false);
  });

  it("contains on a list is element membership, case-insensitive for text", () => {
    assert.equal(holds({ op: "contains", value: "vip" }, ["new", "VIP"]), true);
    assert.equal(
      holds({ op: "contains", value: "vi" }, ["new", "VIP"]),
      false,
      "not a substring of an element",
    );
    assert.equal(holds({ op: "contains", value: 2 }, [1, "2", 3]), true);
    assert.equal(holds({ op: "contains", value: true }, [true]), true);
    assert.equal(holds({ op: "contains", value: "a" }, []), false);
  });

  it("startsWith is a case-insensitive prefix on text", () => {
    assert.equal(holds({ op: "startsWith", value: "+44" }, "+447700900123"), true);
    assert.equal(holds({ op: "startsWith", value: "ADA" }, "ada@example.com"), true);
    assert.equal(holds({ op: "startsWith", value: "da" }, "ada@example.com"), false);
    assert.equal(holds({ op: "startsWith", value: "44" }, 447700), true);
    assert.equal(holds({ op: "startsWith", value: "a" }, ["ab"]), false);
  });

  it("gt / gte / lt / lte compare numerically across numbers and numeric strings", () => {
    assert.equal(holds({ op: "gt", value: 9 }, "10"), true, "10 > 9 numerically, not as text");
    assert.equal(holds({ op: "gt", value: "9" }, 10), true);
    assert.equal(holds({ op: "gt", value: 10 }, 10), false);
    assert.equal(holds({ op: "gte", value: 10 }, "10.0"), true);
    assert.equal(holds({ op: "lt", value: 0 }, -0.5), true);
    assert.equal(holds({ op: "lte", value: 1e3 }, "1e3"), true);
    assert.equal(holds({ op: "lt", value: 5 }, "abc"), false);
    assert.equal(holds({ op: "gte", value: 5 }, "abc"), false);
    assert.equal(holds({ op: "lte", value: 5 }, true), false);
    assert.equal(holds({ op: "gt", value: 5 }, [10]), false);
  });

  it("gt / lt compare dates when either side is an ISO date", () => {
    assert.equal(holds({ op: "gt", value: "2024-01-01" }, "2024-03-01"), true);
    assert.equal(holds({ op: "lt", value: "2024-01-01" }, "2023-12-31T23:59:59Z"), true);
    assert.equal(holds({ op: "gt", value: "2024-01-01" }, Date.UTC(2024, 0, 2)), true);
    assert.equal(holds({ op: "gt", value: "2024-01-01" }, "next week"), false);
  });

  it("in matches any listed value; a list attribute matches when any element does", () => {
    assert.equal(holds({ op: "in", value: ["gold", "silver"] }, "silver"), true);
    assert.equal(holds({ op: "in", value: ["gold", "silver"] }, "Silver"), false);
    assert.equal(holds({ op: "in", value: [1, 2] }, "2"), true);
    assert.equal(holds({ op: "in", value: ["a", "b"] }, ["c", "b"]), true);
    assert.equal(holds({ op: "in", value: ["a", "b"] }, ["c"]), false);
  });

  it("before / after compare instants; ISO strings without an offset are UTC", () => {
    assert.equal(holds({ op: "before", value: "2024-01-01" }, "2023-12-31"), true);
    assert.equal(holds({ op: "before", value: "2024-01-01" }, "2024-01-01"), false, "strict");
    assert.equal(holds({ op: "after", value: "2024-01-01T00:00:00Z" }, "2024-01-01T00:00:01"), true);
    assert.equal(
      holds({ op: "after", value: "2024-01-01" }, "2024-01-01T00:00:01"),
      false,
      "still 1 January",
    );
    assert.equal(holds({ op: "after", value: "2024-01-01T00:00:00Z" }, "2024-01-01T00:30:00+01:00"), false);
    assert.equal(holds({ op: "before", value: Date.UTC(2024, 0, 1) }, "2023-06-01"), true);
    assert.equal(holds({ op: "after", value: "2024-01-01" }, Date.UTC(2024, 0, 2)), true);
    assert.equal(holds({ op: "after", value: "2024-01-01" }, String(Date.UTC(2024, 0, 2))), false);
    assert.equal(holds({ op: "after", value: "2024-01-01" }, "2024-02-30"), false, "no such day");
    assert.equal(holds({ op: "after", value: "2024-01-01" }, "tomorrow"), false);
    assert.equal(holds({ op: "after", value: "2024-01-01" }, true), false);
  });

  it("against a date without a time, reads the customer's date as a day in their time zone", () => {
    // 21:00 in New York on 9 May is 01:00 UTC on 10 May.
    const evening = "2024-05-10T01:00:00Z";
    assert.equal(holds({ op: "after", value: "2024-05-09" }, evening, "America/New_York"), false);
    assert.equal(holds({ op: "after", value: "2024-05-09" }, evening, null), true, "UTC without a zone");
    assert.equal(holds({ op: "gte", value: "2024-05-10" }, evening, "America/New_York"), false);
    assert.equal(holds({ op: "lte", value: "2024-05-10" }, "2024-05-10T15:00:00Z"), true, "all of the day");
    assert.equal(holds({ op: "lt", value: "2024-05-10" }, "2024-05-10T15:00:00Z"), false);
    assert.equal(holds({ op: "gte", value: "2024-05-10" }, "2024-05-10"), true);
    assert.equal(holds({ op: "before", value: "2024-05-10" }, Date.UTC(2024, 4, 9, 23)), true);
    assert.equal(holds({ op: "lte", value: "2024-05-10" }, "soon"), false);
  });

  it("withinLastDays counts a date without a time in the customer's own calendar", () => {
    // NOW is 12:00 UTC on 15 June: already 16 June in Auckland.
    assert.equal(holds({ op: "withinLastDays", value: 1 }, "2024-06-16", "Pacific/Auckland"), true);
    assert.equal(holds({ op: "withinLastDays", value: 1 }, "2024-06-16", null), false, "tomorrow in UTC");
    assert.equal(holds({ op: "withinLastDays", value: 1 }, "2024-06-14"), true, "the whole of yesterday");
    assert.equal(holds({ op: "withinLastDays", value: 1 }, "2024-06-13"), false);
  });

  it("withinLastDays is the closed window [now − N days, now]", () => {
    assert.equal(holds({ op: "withinLastDays", value: 7 }, NOW - 7 * DAY), true);
    assert.equal(holds({ op: "withinLastDays", value: 7 }, NOW - 7 * DAY - 1), false);
    assert.equal(holds({ op: "withinLastDays", value: 7 }, NOW), true);
    assert.equal(
      holds({ op: "withinLastDays", value: 7 }, NOW + 1),
      false,
      "the future is not the last 7 days",
    );
    assert.equal(
      holds({ op: "withinLastDays", value: 0.5 }, new Date(NOW - 6 * 3600_000).toISOString()),
      true,
    );
    assert.equal(holds({ op: "withinLastDays", value: 30 }, "2024-06-01"), true);
    assert.equal(holds({ op: "withinLastDays", value: 30 }, "2024-05-01"), false);
  });

  it("reads built-in fields for email, phone, timezone, locale and userId", () => {
    const facts = customer({ email: "ada@example.com", attributes: { email: "shadow@x.com" } });
    const rule = { attribute: "email", op: "contains", value: "example" } as const;
    assert.equal(evaluate(rule, facts, lookups(), NOW), true);
    const noPhone = customer({ phone: null });
    assert.equal(evaluate({ attribute: "phone", op: "notExists" }, noPhone, lookups(), NOW), true);
    assert.equal(evaluate({ attribute: "userId", op: "eq", value: "u1" }, customer(), lookups(), NOW), true);
    const tz = customer({ timezone: "Europe/Paris" });
    assert.equal(
      evaluate({ attribute: "timezone", op: "startsWith", value: "europe/" }, tz, lookups(), NOW),
      true,
    );
    const german = { attribute: "locale", op: "eq", value: "de-DE" } as const;
    const de = customer({ locale: "de-DE", attributes: { locale: "fr-FR" } });
    assert.equal(evaluate(german, de, lookups(), NOW), true);
    assert.equal(evaluate(german, customer({ attributes: { locale: "de-DE" } }), lookups(), NOW), false);
    assert.equal(evaluate({ attribute: "locale", op: "notExists" }, customer(), lookups(), NOW), true);
  });

  it("never reads inherited properties as attributes", () => {
    assert.equal(holds({ op: "notExists" }), true);
    const facts = customer({ attributes: {} });
    assert.equal(evaluate({ attribute: "constructor", op: "exists" }, facts, lookups(), NOW), false);
    assert.equal(evaluate({ attribute: "toString", op: "exists" }, facts, lookups(), NOW), false);
  });
});

describe("subscribed and inSegment", () => {
  it("needs 'subscribed'; email 'unknown' counts only when the business runs email as opt-out", () => {
    const facts = customer({ subscriptions: { sms: "subscribed", email: "unknown", push: "unsubscribed" } });
    assert.equal(evaluate({ subscribed: "sms" }, facts, lookups(), NOW), true);
    assert.equal(evaluate({ subscribed: "push" }, facts, lookups(), NOW), false);
    assert.equal(evaluate({ subscribed: "whatsapp" }, facts, lookups(), NOW), false);
    assert.equal(evaluate({ subscribed: "email" }, facts, lookups(), NOW), false);
    assert.equal(evaluate({ subscribed: "email" }, facts, lookups({ emailOptOut: true }), NOW), true);
    const noStatus = customer({ subscriptions: {} });
    assert.equal(evaluate({ subscribed: "email" }, noStatus, lookups({ emailOptOut: true }), NOW), true);
    const out = customer({ subscriptions: { email: "unsubscribed" } });
    assert.equal(evaluate({ subscribed: "email" }, out, lookups({ emailOptOut: true }), NOW), false);
    assert.equal(evaluate({ subscribed: "sms" }, noStatus, lookups({ emailOptOut: true }), NOW), false);
  });

  it("inSegment asks the injected membership look-up", () => {
    const ctx = lookups({ isMember: (id) => id === "seg_vip" });
    assert.equal(evaluate({ inSegment: "seg_vip" }, customer(), ctx, NOW), true);
    assert.equal(evaluate({ inSegment: "seg_other" }, customer(), ctx, NOW), false);
  });

  it("all of nothing is true, any of nothing is false", () => {
    assert.equal(evaluate({ all: [] }, customer(), lookups(), NOW), true);
    assert.equal(evaluate({ any: [] }, customer(), lookups(), NOW), false);
  });
});
