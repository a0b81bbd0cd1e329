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

  it("keeps outbound connections off private networks unless JOURNEYS_ALLOW_PRIVATE_NETWORK=true", () => {
    assert.equal(loadConfig({}).allowPrivateNetwork, false);
    assert.equal(loadConfig({ JOURNEYS_ALLOW_PRIVATE_NETWORK: "TRUE" }).allowPrivateNetwork, true);
    assert.equal(loadConfig({ JOURNEYS_ALLOW_PRIVATE_NETWORK: "false" }).allowPrivateNetwork, false);
    assert.throws(
      () => loadConfig({ JOURNEYS_ALLOW_PRIVATE_NETWORK: "yes" }),
      /JOURNEYS_ALLOW_PRIVATE_NETWORK/,
    );
  });

  it("refuses the manual clock outside the test environment", () => {
    assert.throws(() => loadConfig({ JOURNEYS_CLOCK: "manual" }), /JOURNEYS_ENV=test/);
    assert.equal(loadConfig({ JOURNEYS_CLOCK: "manual", JOURNEYS_ENV: "test" }).clock, "manual");
  });

  it("blames HOST, not JOURNEYS_PUBLIC_URL, for a host that is no address", () => {
    try {
      loadConfig({ HOST: "not a host!!" });
      assert.fail("expected a ConfigError");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, ['HOST must be an IP address or a host name, got "not a host!!"']);
    }
    for (const host of ["localhost", "journeys.internal", "10.0.0.7", "::1"]) {
      assert.equal(loadConfig({ HOST: host }).host, host);
    }
    assert.equal(loadConfig({ HOST: "::1" }).publicUrl, "http://[::1]:3000");
  });

  it("requires JOURNEYS_PUBLIC_URL when HOST is a wildcard, so emails never link to 0.0.0.0", () => {
    for (const host of ["0.0.0.0", "::", "0:0:0:0:0:0:0:0"]) {
      try {
        loadConfig({ HOST: host });
        assert.fail(`expected a ConfigError for HOST=${host}`);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 1);
        assert.match(error.message, /JOURNEYS_PUBLIC_URL must be set when HOST is a wildcard address/);
      }
    }
    const config = loadConfig({ HOST: "0.0.0.0", JOURNEYS_PUBLIC_URL: "https://journeys.example.com/" });
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.publicUrl, "https://journeys.example.com");
  });

  it("gives the worker its own port for health and metrics, checked like PORT", () => {
    assert.equal(loadConfig({}).workerPort, 3001);
    assert.equal(loadConfig({ JOURNEYS_WORKER_PORT: "9464" }).workerPort, 9464);
    assert.throws(
      () => loadConfig({ JOURNEYS_WORKER_PORT: "70000" }),
      /JOURNEYS_WORKER_PORT must be a port number/,
    );
    assert.throws(
      () => loadConfig({ JOURNEYS_WORKER_PORT: "metrics" }),
      /JOURNEYS_WORKER_PORT must be a port number/,
    );
  });

  it("starts in production without JOURNEYS_PUBLIC_URL, with a warning naming it", () => {
    const config = loadConfig({});
    assert.equal(config.env, "production");
    assert.equal(config.publicUrl, "http://127.0.0.1:3000");
    assert.equal(config.warnings.length, 1);
    assert.match(
      config.warnings[0]!,
      /^JOURNEYS_PUBLIC_URL is not set: unsubscribe links in emails point at this server's own address http:\/\/127\.0\.0\.1:3000/,
    );
    assert.deepEqual(loadConfig({ JOURNEYS_ENV: "development" }).warnings, []);
    assert.deepEqual(loadConfig({ JOURNEYS_PUBLIC_URL: "https://journeys.example.com" }).warnings, []);
  });

  it("refuses a plain-http JOURNEYS_PUBLIC_URL that other machines would open, in production", () => {
    for (const url of ["http://journeys.example.com", "http://10.0.0.7:3000/journeys"]) {
      try {
        loadConfig({ JOURNEYS_PUBLIC_URL: url });
        assert.fail(`expected a ConfigError for ${url}`);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 1);
        assert.match(error.message, /JOURNEYS_PUBLIC_URL must be an https URL in production/);
      }
    }
    // This machine only, or not production: plain http is fine.
    for (const url of ["http://127.0.0.1:3000", "http://localhost:8080", "http://[::1]:3000"]) {
      assert.equal(loadConfig({ JOURNEYS_PUBLIC_URL: url }).publicUrl, url);
    }
    for (const env of ["development", "test"]) {
      const config = loadConfig({ JOURNEYS_ENV: env, JOURNEYS_PUBLIC_URL: "http://journeys.example.com" });
      assert.equal(config.publicUrl, "http://journeys.example.com");
    }
  });
});
