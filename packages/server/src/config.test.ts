import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "./config";

describe("configuration", () => {
  it("defaults to the embedded store on 127.0.0.1:3000", () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.databaseUrl, undefined);
    assert.match(config.dataDir, /data$/);
    assert.equal(config.clock, "system");
  });

  it("lists every wrong variable at once, by name", () => {
    try {
      loadConfig({
        PORT: "eighty",
        DATABASE_URL: "mysql://x",
        LOG_LEVEL: "loud",
        JOURNEYS_ADMIN_TOKEN: "short",
      });
      assert.fail("expected a ConfigError");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 4);
      for (const name of ["PORT", "DATABASE_URL", "LOG_LEVEL", "JOURNEYS_ADMIN_TOKEN"]) {
        assert.match(error.message, new RegExp(name));
      }
    }
  });

  it("refuses the manual clock outside the test environment", () => {
    assert.throws(() => loadConfig({ JOURNEYS_CLOCK: "manual" }), /JOURNEYS_ENV=test/);
    assert.equal(loadConfig({ JOURNEYS_CLOCK: "manual", JOURNEYS_ENV: "test" }).clock, "manual");
  });
});
