import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMessage } from "./messages";

const RECEIVED = Date.UTC(2024, 4, 10, 12);

/** The time a message stores, read while the process runs in `zone`. */
function storedTime(timestamp: unknown, zone: string): number | string {
  const before = process.env.TZ;
  process.env.TZ = zone; // Node resets its time zone when TZ changes
  try {
    const parsed = parseMessage({ type: "track", userId: "u", event: "E", timestamp }, RECEIVED);
    return parsed.ok ? parsed.message.timestamp : parsed.problem.code;
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}

describe("message timestamps", () => {
  it("reads a date-time without an offset as UTC, whatever the server's zone", () => {
    for (const zone of ["UTC", "America/New_York", "Asia/Kolkata"]) {
      assert.equal(storedTime("2024-05-10T10:00:00", zone), Date.UTC(2024, 4, 10, 10), zone);
      assert.equal(storedTime("2024-05-10", zone), Date.UTC(2024, 4, 10), zone);
      assert.equal(
        storedTime("2024-05-10T10:00:00.250+02:00", zone),
        Date.UTC(2024, 4, 10, 8, 0, 0, 250),
        zone,
      );
      assert.equal(storedTime("2024-05-10T10:00:00-0500", zone), Date.UTC(2024, 4, 10, 15), zone);
    }
  });

  it("refuses what is not ISO 8601 rather than guessing", () => {
    for (const text of ["10/05/2024", "Fri, 10 May 2024 10:00:00 GMT", "2024-02-30", "yesterday"]) {
      assert.equal(storedTime(text, "UTC"), "invalid_timestamp", text);
    }
  });
});
