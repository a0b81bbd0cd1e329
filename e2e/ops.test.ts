import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { TEST_SECRET_KEY } from "./harness";
import { freePort, startCli, waitForOk } from "./process";

/** A stack trace's frames: an operator's mistake must not print one. */
const STACK_FRAME = /^\s+at /m;

/**
 * Runs a journeys command that should refuse to start; one that starts anyway is killed after
 * `ms` (code null), so the test fails instead of hanging.
 */
async function runRefused(args: string[], env: NodeJS.ProcessEnv, ms = 20_000) {
  const { child, output } = startCli(args, env);
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  return { code, output: output() };
}

describe("journeys processes for operators", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "journeys-ops-"));
  const env = { JOURNEYS_DATA_DIR: dataDir, DATABASE_URL: "", LOG_LEVEL: "warn" };
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("a worker answers /healthz, /readyz and /metrics on JOURNEYS_WORKER_PORT, and stops cleanly", async () => {
    const port = await freePort();
    const worker = startCli(["worker"], { ...env, JOURNEYS_WORKER_PORT: String(port), LOG_LEVEL: "info" });
    const exited = new Promise<number | null>((resolve) => worker.child.on("exit", resolve));
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForOk(`${base}/readyz`, 20_000);
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.deepEqual(await (await fetch(`${base}/readyz`)).json(), { status: "ready", store: "sqlite" });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /^journeys_engine_work_due 0$/m);
      assert.match(metrics, /^journeys_outbox_depth 0$/m);
      assert.match(metrics, /^journeys_deliveries_total\{outcome="sent"\} 0$/m);
      // Operations only: the API is not served here.
      assert.equal((await fetch(`${base}/api/v1/businesses`)).status, 404);
      worker.child.kill("SIGTERM");
      assert.equal(await exited, 0, worker.output());
      assert.match(worker.output(), /stopped cleanly/);
    } finally {
      worker.child.kill("SIGKILL");
    }
  });

  it("a worker whose port is taken says which variable to change", async () => {
    const taken = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port)),
    );
    try {
      const { code, output } = await runRefused(["worker"], { ...env, JOURNEYS_WORKER_PORT: String(port) });
      assert.equal(code, 1, output);
      assert.match(
        output,
        new RegExp(`^journeys: JOURNEYS_WORKER_PORT=${port}: cannot listen on 127.0.0.1: .*EADDRINUSE`),
      );
      assert.doesNotMatch(output, STACK_FRAME);
    } finally {
      taken.close();
    }
  });

  it("a data dir that cannot hold the store is named, with the cause, in one line", async () => {
    const file = join(dataDir, "not-a-folder");
    writeFileSync(file, "");
    for (const command of ["start", "migrate"]) {
      const { code, output } = await runRefused([command], { ...env, JOURNEYS_DATA_DIR: file });
      assert.equal(code, 1, `${command}: ${output}`);
      assert.equal(
        output.trim(),
        `journeys: JOURNEYS_DATA_DIR=${file}: cannot open the SQLite store there: EEXIST: file already exists, mkdir '${file}' (store_unavailable)`,
      );
    }
  });

  it("a database that refuses connections is named (password hidden), with the cause, in one line", async () => {
    const port = await freePort(); // nothing listens on it
    const url = `postgres://journeys:secret@127.0.0.1:${port}/journeys`;
    for (const command of ["worker", "migrate"]) {
      const { code, output } = await runRefused([command], {
        ...env,
        DATABASE_URL: url,
        JOURNEYS_SECRET_KEY: TEST_SECRET_KEY,
      });
      assert.equal(code, 1, `${command}: ${output}`);
      assert.equal(
        output.trim(),
        `journeys: DATABASE_URL=postgres://journeys:***@127.0.0.1:${port}/journeys: cannot open the PostgreSQL store: connect ECONNREFUSED 127.0.0.1:${port} (store_unavailable)`,
      );
    }
  });

  it("refuses HOST=0.0.0.0 without JOURNEYS_PUBLIC_URL, and a HOST that is no address", async () => {
    const wildcard = await runRefused(["start"], { ...env, HOST: "0.0.0.0" });
    assert.equal(wildcard.code, 2);
    assert.match(
      wildcard.output,
      /JOURNEYS_PUBLIC_URL must be set when HOST is a wildcard address \(0\.0\.0\.0\)/,
    );
    const bad = await runRefused(["start"], { ...env, HOST: "not a host!!" });
    assert.equal(bad.code, 2);
    assert.match(bad.output, /HOST must be an IP address or a host name/);
    assert.doesNotMatch(bad.output, /JOURNEYS_PUBLIC_URL/);
  });
});
