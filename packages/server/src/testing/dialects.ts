import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { randomBase32 } from "../ids";
import { openPostgresStore } from "../store/postgres/postgres-store";
import { openSqliteStore } from "../store/sqlite/sqlite-store";
import type { DialectName, Store } from "../store/store";

/**
 * Every store test runs against every real database (no mocks), Kysely-style:
 *
 * @example
 *   for (const dialect of DIALECTS) {
 *     describe(`[${dialect.name}] businesses`, { skip: dialect.skip }, () => {
 *       const ctx = useStore(dialect); // opens before, closes after
 *       it("…", async () => { await ctx.store.ping(); });
 *     });
 *   }
 *
 * PostgreSQL runs when TEST_DATABASE_URL is set; each opened store gets a database of its own,
 * dropped afterwards. In CI (CI=true) a missing TEST_DATABASE_URL is an error, not a skip.
 */
export interface TestDialect {
  name: DialectName;
  /** A reason to skip, or false. */
  skip: string | false;
  open(): Promise<TestStore>;
}

export type TestStore = Store & {
  drop(): Promise<void>;
  /** PostgreSQL: another store on the same database, as a second process would open it. */
  sibling?(): Promise<Store>;
};

const pgUrl = process.env.TEST_DATABASE_URL;
if (!pgUrl && process.env.CI === "true") {
  throw new Error("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests would be skipped");
}
let warned = false;

const sqlite: TestDialect = {
  name: "sqlite",
  skip: false,
  async open() {
    const dir = mkdtempSync(join(tmpdir(), "journeys-test-"));
    const store = await openSqliteStore({ file: join(dir, "journeys.db") });
    return Object.assign(store, {
      async drop() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  },
};

const postgres: TestDialect = {
  name: "postgres",
  skip: pgUrl ? false : "TEST_DATABASE_URL is not set: PostgreSQL tests skipped",
  async open() {
    if (!pgUrl) throw new Error("TEST_DATABASE_URL is not set");
    const name = `journeys_t_${randomBase32(12)}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(pgUrl);
    url.pathname = `/${name}`;
    const store = await openPostgresStore({ url: url.toString(), poolSize: 4 });
    return Object.assign(store, {
      sibling: () => openPostgresStore({ url: url.toString(), poolSize: 4, migrate: false }),
      async drop() {
        await store.close();
        const client = new pg.Client({ connectionString: pgUrl });
        await client.connect();
        await client.query(`drop database if exists ${name} with (force)`);
        await client.end();
      },
    });
  },
};

export const DIALECTS: readonly TestDialect[] = [sqlite, postgres];

if (!pgUrl && !warned) {
  warned = true;
  console.log("# TEST_DATABASE_URL is not set: PostgreSQL tests are skipped on this machine");
}
