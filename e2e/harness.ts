import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import pg from "pg";
import { runCli } from "./process";

/**
 * What the end-to-end suites share: the business the CLI creates, a JSON client for the three
 * HTTP surfaces (management API, Segment ingestion, admin time travel), and a PostgreSQL
 * database of the suite's own when TEST_DATABASE_URL is set (dropped afterwards, like
 * packages/server/src/testing/dialects.ts does for store tests).
 */

export const ADMIN_TOKEN = "e2e-admin-token-0123456789";
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

const pgUrl = process.env.TEST_DATABASE_URL;
if (!pgUrl && process.env.CI === "true") {
  throw new Error("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests would be skipped");
}
/** The `skip` option of a `[postgres]` suite. */
export const PG_SKIP: string | false = pgUrl
  ? false
  : "TEST_DATABASE_URL is not set: PostgreSQL tests skipped";

export interface Business {
  businessId: string;
  apiKey: string;
  writeKey: string;
}

/**
 * The environment of a server under test: its store (a data dir, or PostgreSQL when
 * `databaseUrl` is set), the manual clock the admin API moves, private addresses allowed (its
 * SMTP server is on 127.0.0.1), and quiet logs.
 */
/** Every process of a test shares it, as an operator's processes on one database must. */
export const TEST_SECRET_KEY = "test-secret-key-0123456789abcdefghij";

export function testEnv(dataDir: string, databaseUrl: string, logLevel = "fatal"): NodeJS.ProcessEnv {
  return {
    JOURNEYS_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    JOURNEYS_ENV: "test",
    JOURNEYS_CLOCK: "manual",
    JOURNEYS_ADMIN_TOKEN: ADMIN_TOKEN,
    // The SMTP servers tests send to listen on 127.0.0.1, which the outbound guard refuses.
    JOURNEYS_ALLOW_PRIVATE_NETWORK: "true",
    JOURNEYS_SECRET_KEY: TEST_SECRET_KEY,
    LOG_LEVEL: logLevel,
  };
}

/** `journeys admin create-business --json` on the store `env` points at. */
export async function createBusiness(env: NodeJS.ProcessEnv, name = "Shop"): Promise<Business> {
  const { code, stdout, stderr } = await runCli(
    [
      "admin",
      "create-business",
      "--name",
      name,
      "--plan",
      "business",
      "--owner-email",
      "owner@shop.test",
      "--json",
    ],
    env,
  );
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout) as Business;
}

/** A JSON client of one server process. */
export function client(baseUrl: string, business: Business) {
  const call = async (method: string, path: string, authorization: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: responses are checked by the assertions that read them
    const json: any = text ? JSON.parse(text) : null;
    return { status: response.status, body: json };
  };
  const ok = async (method: string, path: string, authorization: string, body?: unknown) => {
    const response = await call(method, path, authorization, body);
    assert.ok(
      response.status < 300,
      `${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`,
    );
    return response.body;
  };
  const bearer = `Bearer ${business.apiKey}`;
  const basic = `Basic ${Buffer.from(`${business.writeKey}:`).toString("base64")}`;
  const admin = `Bearer ${ADMIN_TOKEN}`;
  return {
    /** Management API under /api/v1/businesses/{id}. */
    api: (method: string, path: string, body?: unknown) =>
      ok(method, `/api/v1/businesses/${business.businessId}${path}`, bearer, body),
    /** Segment ingestion: POST /v1/identify | track | batch. */
    ingest: (type: "identify" | "track" | "batch", body: unknown) => ok("POST", `/v1/${type}`, basic, body),
    /** Moves this process's manual clock to `to` (epoch ms). */
    clockTo: (to: number) => ok("POST", "/api/v1/admin/clock", admin, { to }),
    advance: (advanceMs: number) => ok("POST", "/api/v1/admin/clock", admin, { advanceMs }),
    settle: () => ok("POST", "/api/v1/admin/settle", admin),
  };
}

/** A database of the caller's own on TEST_DATABASE_URL's server; `drop()` removes it. */
export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!pgUrl) throw new Error("TEST_DATABASE_URL is not set");
  const name = `journeys_e2e_${randomBytes(6).toString("hex")}`;
  const run = async (statement: string) => {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    try {
      await admin.query(statement);
    } finally {
      await admin.end();
    }
  };
  await run(`create database ${name}`);
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

/**
 * Rows of one query, read straight from a server's store — for checks the API does not answer
 * (every stored event, the membership log). `$1`, `$2`… are the parameters on both stores.
 */
export async function queryStore<Row>(
  store: { dialect: "sqlite"; dataDir: string } | { dialect: "postgres"; url: string },
  text: string,
  params: unknown[],
): Promise<Row[]> {
  if (store.dialect === "sqlite") {
    const db = new SQLite(join(store.dataDir, "journeys.db"), { readonly: true });
    try {
      return db.prepare(text.replace(/\$\d+/g, "?")).all(...params) as Row[];
    } finally {
      db.close();
    }
  }
  const db = new pg.Client({ connectionString: store.url });
  await db.connect();
  try {
    return (await db.query(text, params)).rows as Row[];
  } finally {
    await db.end();
  }
}
