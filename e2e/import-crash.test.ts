import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type Business,
  client,
  createBusiness,
  createPgDatabase,
  PG_SKIP,
  queryStore,
  testEnv,
} from "./harness";
import { freePort, killServer, type Server, startServer } from "./process";

/**
 * A CSV import cut off by `kill -9`: the record of the import must say what was applied — its
 * counts match the customers the store holds, its rejected rows are those of the batches that
 * committed — and once it has stopped moving for 5 minutes it reads as failed, interrupted.
 * Importing the file again finishes the job.
 */
const ROWS = 12_000;
/** Every 97th row has no userId and no email: rejected, with its row number. */
const rejectedRow = (i: number) => i % 97 === 0;

const STORES = [
  { name: "sqlite", skip: false as string | false },
  { name: "postgres", skip: PG_SKIP },
];

function csv(): string {
  const lines = ["userId,email,plan"];
  for (let i = 1; i <= ROWS; i++) {
    lines.push(rejectedRow(i) ? ",,free" : `u${i},u${i}@example.com,${i % 2 ? "pro" : "free"}`);
  }
  return `${lines.join("\n")}\n`;
}

for (const store of STORES) {
  describe(`[${store.name}] e2e: a CSV import killed with SIGKILL`, { skip: store.skip }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "journeys-import-crash-"));
    let env: NodeJS.ProcessEnv = {};
    let business: Business;
    let dropDatabase = async () => {};
    let databaseUrl = "";
    let port = 0;
    let server: Server | undefined;

    const start = async () => {
      server = await startServer(["start", "--no-demo"], env, port);
    };

    before(async () => {
      if (store.name === "postgres") {
        const database = await createPgDatabase();
        databaseUrl = database.url;
        dropDatabase = database.drop;
      }
      env = testEnv(dataDir, databaseUrl);
      business = await createBusiness(env);
      port = await freePort();
      await start();
    });

    after(async () => {
      if (server) await killServer(server);
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("records what was applied, reads as interrupted, and finishes when imported again", {
      timeout: 120_000,
    }, async () => {
      const http = client(`http://127.0.0.1:${port}`, business);
      const url = `http://127.0.0.1:${port}/api/v1/businesses/${business.businessId}/customers/imports`;
      const headers = { authorization: `Bearer ${business.apiKey}`, "content-type": "text/csv" };
      const body = csv();
      const cutOff = fetch(url, { method: "POST", headers, body }).then(
        () => "answered",
        () => "no answer",
      );

      // Kill once some batches, not all, have committed.
      let running: { id: string; accepted: number } | undefined;
      for (let i = 0; i < 2_000 && !(running && running.accepted > 0); i++) {
        running = (await http.api("GET", "/customers/imports")).data[0];
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.ok(running && running.accepted > 0, "the import applied a batch");
      await killServer(server!);
      assert.equal(await cutOff, "no answer");
      await start();

      const record = await http.api("GET", `/customers/imports/${running.id}`);
      assert.equal(record.status, "running");
      assert.ok(record.totalRows < ROWS, `cut off before the end (${record.totalRows} rows read)`);
      const countCustomers = async () => {
        const where =
          store.name === "sqlite"
            ? { dialect: "sqlite" as const, dataDir }
            : { dialect: "postgres" as const, url: databaseUrl };
        const [row] = await queryStore<{ n: number | string }>(
          where,
          "select count(*) as n from customers where business_id = $1",
          [business.businessId],
        );
        return Number(row?.n);
      };
      assert.equal(record.accepted, await countCustomers(), "accepted = the customers the store holds");
      const expectedRejected = Array.from({ length: record.totalRows }, (_, i) => i + 1).filter(rejectedRow);
      assert.deepEqual(
        record.rejected.map((x: { row: number; code: string }) => [x.row, x.code]),
        expectedRejected.map((i) => [i + 1, "missing_identity"]),
        "the rejected rows of the batches applied, by spreadsheet row",
      );
      assert.equal(record.accepted + record.rejected.length, record.totalRows);

      await http.advance(5 * 60_000 + 1);
      const interrupted = await http.api("GET", `/customers/imports/${running.id}`);
      assert.equal(interrupted.status, "failed");
      assert.match(interrupted.error, /^interrupted/);
      const listed = (await http.api("GET", "/customers/imports")).data[0];
      assert.deepEqual(
        [listed.id, listed.status, listed.rejectedRows],
        [running.id, "failed", record.rejected.length],
      );

      const again = await fetch(url, { method: "POST", headers, body }).then(
        (r) =>
          r.json() as Promise<{
            status: string;
            totalRows: number;
            accepted: number;
            created: number;
            rejected: unknown[];
          }>,
      );
      const valid = ROWS - Array.from({ length: ROWS }, (_, i) => i + 1).filter(rejectedRow).length;
      assert.deepEqual(
        [again.status, again.totalRows, again.accepted, again.created, again.rejected.length],
        ["completed", ROWS, valid, valid - record.accepted, ROWS - valid],
      );
      assert.equal(await countCustomers(), valid);
    });
  });
}
