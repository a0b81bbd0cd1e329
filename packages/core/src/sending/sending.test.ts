import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { capsAllowAt, frequencyCapProblem } from "./frequency-cap";
import { quietHoursProblem, quietUntil } from "./quiet-hours";
import { instantOf, offsetAt, wallClockAt } from "./zoned-time";

const H = 3_600_000;
const night = { start: "21:00", end: "08:00" };

describe("wall clocks in a time zone", () => {
  it("reads and writes local time across DST changes", () => {
    assert.deepEqual(wallClockAt(Date.UTC(2026, 2, 29, 1, 30), "Europe/Paris"), {
      year: 2026,
      month: 3,
      day: 29,
      hour: 3,
      minute: 30,
    });
    assert.equal(offsetAt(Date.UTC(2026, 0, 1), "Europe/Paris"), 1 * H);
    assert.equal(offsetAt(Date.UTC(2026, 6, 1), "Europe/Paris"), 2 * H);
    assert.equal(offsetAt(Date.UTC(2026, 6, 1), "Asia/Kolkata"), 5.5 * H);
    // 02:30 does not exist in Paris on 29 March 2026: the first instant after the gap (03:00 CEST).
    assert.equal(
      instantOf({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, "Europe/Paris"),
      Date.UTC(2026, 2, 29, 1, 0),
    );
    // 02:30 happens twice on 25 October 2026: the earlier one (CEST).
    assert.equal(
      instantOf({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, "Europe/Paris"),
      Date.UTC(2026, 9, 25, 0, 30),
    );
    assert.equal(
      instantOf({ year: 2026, month: 3, day: 8, hour: 8, minute: 0 }, "America/New_York"),
      Date.UTC(2026, 2, 8, 12, 0),
    );
  });

  it("round-trips every wall time that exists", () => {
    const zones = [
      "Europe/Paris",
      "America/New_York",
      "Australia/Lord_Howe",
      "Asia/Kathmandu",
      "UTC",
      "America/Santiago",
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.constantFrom(...zones),
        (t, zone) => {
          const instant = Math.floor(t / 60_000) * 60_000;
          const wall = wallClockAt(instant, zone);
          const back = instantOf(wall, zone);
          // The same wall time; the same instant unless the time happens twice (then the earlier).
          assert.deepEqual(wallClockAt(back, zone), wall);
          assert.ok(back <= instant);
        },
      ),
    );
  });
});

describe("quiet hours", () => {
  it("defers a message inside them to their end, in the recipient's zone", () => {
    // 23:10 in Paris on the night CEST begins → 08:00 CEST = 06:00 UTC.
    assert.equal(
      quietUntil(Date.UTC(2026, 2, 28, 22, 10), night, "Europe/Paris"),
      Date.UTC(2026, 2, 29, 6, 0),
    );
    // 05:00 in New York → 08:00 the same morning.
    assert.equal(
      quietUntil(Date.UTC(2026, 5, 1, 9, 0), night, "America/New_York"),
      Date.UTC(2026, 5, 1, 12, 0),
    );
    // 12:00 → now.
    const noon = Date.UTC(2026, 5, 1, 16, 0);
    assert.equal(quietUntil(noon, night, "America/New_York"), noon);
    // A window within one day: 12:00–14:00.
    assert.equal(
      quietUntil(Date.UTC(2026, 5, 1, 12, 30), { start: "12:00", end: "14:00" }, "UTC"),
      Date.UTC(2026, 5, 1, 14, 0),
    );
    // The end itself is allowed; the start is quiet.
    assert.equal(quietUntil(Date.UTC(2026, 5, 1, 8, 0), night, "UTC"), Date.UTC(2026, 5, 1, 8, 0));
    assert.equal(quietUntil(Date.UTC(2026, 5, 1, 21, 0), night, "UTC"), Date.UTC(2026, 5, 2, 8, 0));
  });

  it("never answers a time inside the quiet hours, nor earlier than now", () => {
    const zones = ["Europe/Paris", "America/New_York", "Pacific/Chatham", "Asia/Kolkata", "UTC"];
    const hhmm = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
      .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2028, 0, 1) }),
        fc.constantFrom(...zones),
        hhmm,
        hhmm,
        (now, zone, start, end) => {
          fc.pre(start !== end);
          const q = { start, end };
          const at = quietUntil(now, q, zone);
          assert.ok(at >= now);
          assert.ok(at - now <= 25 * H, "at most a day away");
          assert.equal(quietUntil(at, q, zone), at, "the answer is outside the quiet hours");
        },
      ),
    );
  });

  it("refuses malformed hours", () => {
    assert.match(quietHoursProblem({ start: "9pm", end: "08:00" })!, /start must be a time/);
    assert.match(quietHoursProblem({ start: "21:00", end: "24:00" })!, /end must be/);
    assert.match(quietHoursProblem({ start: "08:00", end: "08:00" })!, /differ/);
    assert.equal(quietHoursProblem(night), null);
  });
});

describe("frequency caps", () => {
  const now = Date.UTC(2026, 5, 1, 12);
  it("defers until the oldest send in the window leaves it", () => {
    const caps = [{ channel: "sms" as const, max: 2, perHours: 24 }];
    const sent = [
      { channel: "sms" as const, at: now - 1 * H },
      { channel: "sms" as const, at: now - 2 * H },
      { channel: "email" as const, at: now - 3 * H },
    ];
    assert.equal(capsAllowAt(now, caps, sent, "sms"), now - 2 * H + 24 * H);
    assert.equal(capsAllowAt(now, caps, sent, "email"), now, "another channel is not capped");
    assert.equal(capsAllowAt(now, caps, sent.slice(0, 1), "sms"), now);
    const all = [{ channel: "all" as const, max: 3, perHours: 6 }];
    assert.equal(capsAllowAt(now, all, sent, "push"), now - 3 * H + 6 * H);
    assert.equal(capsAllowAt(now, [...caps, ...all], sent, "sms"), now + 22 * H, "the latest of all caps");
  });

  it("always answers a moment when one more fits under every cap", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            channel: fc.constantFrom("sms" as const, "email" as const),
            at: fc.integer({ min: now - 100 * H, max: now }),
          }),
          { maxLength: 30 },
        ),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 48 }),
        (sent, max, perHours) => {
          const caps = [{ channel: "sms" as const, max, perHours }];
          const at = capsAllowAt(now, caps, sent, "sms");
          assert.ok(at >= now);
          const inWindow = sent.filter(
            (s) => s.channel === "sms" && s.at > at - perHours * H && s.at <= at,
          ).length;
          assert.ok(inWindow < max, `${inWindow} sends still in the window at ${at}`);
        },
      ),
    );
    assert.match(frequencyCapProblem({ channel: "sms", max: 0, perHours: 24 })!, /max must/);
    assert.match(frequencyCapProblem({ channel: "sms", max: 1, perHours: 0.5 })!, /perHours/);
  });
});
