import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort, runCli, startCli, waitForOk } from "./process";

describe("journeys CLI on the embedded store", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "journeys-cli-"));
  const env = { JOURNEYS_DATA_DIR: dataDir, DATABASE_URL: "", LOG_LEVEL: "warn" };
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("prints usage for --help of every command", async () => {
    for (const command of ["start", "api", "worker", "migrate", "admin"]) {
      const { code, stdout } = await runCli([command, "--help"], env);
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`Usage: journeys ${command}`));
    }
    const unknown = await runCli(["frobnicate"], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  it("migrates, then says the store is up to date", async () => {
    const first = await runCli(["migrate"], env);
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli(["migrate"], env);
    assert.match(second.stdout, /up to date/);
  });

  it("creates a business and prints its credentials as JSON", async () => {
    const { code, stdout, stderr } = await runCli(
      [
        "admin",
        "create-business",
        "--name",
        "Acme",
        "--plan",
        "business",
        "--owner-email",
        "o@acme.test",
        "--json",
      ],
      env,
    );
    assert.equal(code, 0, stderr);
    const created = JSON.parse(stdout);
    assert.deepEqual(Object.keys(created), [
      "businessId",
      "apiKey",
      "writeKey",
      "ownerEmail",
      "ownerPassword",
    ]);
    assert.match(created.businessId, /^bus_/);
    assert.match(created.apiKey, /^sk_/);
    assert.match(created.writeKey, /^wk_/);

    const bad = await runCli(
      ["admin", "create-business", "--name", "X", "--plan", "gold", "--owner-email", "x@y.z"],
      env,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown plan "gold"/);
    const missing = await runCli(["admin", "create-business", "--name", "X"], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing --plan, --owner-email/);
  });

  it("refuses a wrong environment variable with its name", async () => {
    const { code, stderr } = await runCli(["start"], { ...env, PORT: "http" });
    assert.equal(code, 2);
    assert.match(stderr, /PORT must be a port number/);
  });

  it("starts, serves the API, and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const fresh = mkdtempSync(join(tmpdir(), "journeys-start-"));
    const server = startCli(["start"], {
      ...env,
      JOURNEYS_DATA_DIR: fresh,
      PORT: String(port),
      LOG_LEVEL: "info",
    });
    try {
      await waitForOk(`http://127.0.0.1:${port}/readyz`, 20_000);
      const banner = server.output();
      assert.match(banner, /A demo business was created on the Growth plan/);
      const apiKey = /API key\s+(sk_\S+)/.exec(banner)?.[1];
      const businessId = /business id\s+(bus_\S+)/.exec(banner)?.[1];
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/businesses/${businessId}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      assert.equal(((await response.json()) as { plan: string }).plan, "growth");
      // The API process serves the domain metrics too, not only the HTTP ones.
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /^journeys_engine_work_due 0$/m);
      assert.match(metrics, /^journeys_ingested_messages_total\{outcome="accepted"\} 0$/m);
      const exited = new Promise<number | null>((resolve) => server.child.on("exit", resolve));
      server.child.kill("SIGTERM");
      assert.equal(await exited, 0);
      assert.match(server.output(), /stopped cleanly/);
    } finally {
      server.child.kill("SIGKILL");
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
