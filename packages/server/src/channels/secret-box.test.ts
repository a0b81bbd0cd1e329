import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadConfig } from "../config";
import { loadSecretKey, SecretBox } from "./secret-box";

describe("channel secrets at rest", () => {
  it("seals with a fresh IV each time and opens only in the same place", () => {
    const box = new SecretBox("k".repeat(32));
    const a = box.seal("token-123", "bus_1/sms/authToken");
    assert.notEqual(a, box.seal("token-123", "bus_1/sms/authToken"));
    assert.equal(box.open(a, "bus_1/sms/authToken"), "token-123");
    assert.throws(() => box.open(a, "bus_2/sms/authToken"), /cannot be decrypted/);
    const tampered = `${a.slice(0, -2)}${a.endsWith("A") ? "B" : "A"}A`;
    assert.throws(() => box.open(tampered, "bus_1/sms/authToken"), /cannot be decrypted/);
    assert.throws(() => new SecretBox("short"), /at least 32 characters/);
  });

  it("needs JOURNEYS_SECRET_KEY with DATABASE_URL, and generates one into the data folder without", () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: "postgres://127.0.0.1/j" }),
      /JOURNEYS_SECRET_KEY must be set when DATABASE_URL is set/,
    );
    assert.throws(
      () => loadConfig({ JOURNEYS_SECRET_KEY: "too-short" }),
      /at least 32 characters \(it has 9\)/,
    );
    const key = "x".repeat(40);
    assert.equal(
      loadConfig({ DATABASE_URL: "postgres://127.0.0.1/j", JOURNEYS_SECRET_KEY: key }).secretKey,
      key,
    );

    const dataDir = mkdtempSync(join(tmpdir(), "journeys-key-"));
    try {
      const first = loadSecretKey({ secretKey: undefined, dataDir });
      assert.ok(first.length >= 32);
      assert.equal(statSync(join(dataDir, "secret-key")).mode & 0o777, 0o600);
      assert.equal(loadSecretKey({ secretKey: undefined, dataDir }), first, "a restart reads the same key");
      assert.equal(readFileSync(join(dataDir, "secret-key"), "utf8").trim(), first);
      assert.equal(loadSecretKey({ secretKey: key, dataDir }), key, "the environment wins");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
