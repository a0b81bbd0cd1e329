import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { migrateToLatest } from "../migrate";
import type { Database } from "../schema";
import type { PostgresStore } from "../store";
import { jsonText } from "./json-text";

export interface PostgresStoreOptions {
  url: string;
  /** Connections in this process's pool (default 10). */
  poolSize?: number;
  migrate?: boolean;
}

const INT8 = 20;
const NUMERIC = 1700;

/** Epoch milliseconds are bigint columns; they fit a JS number exactly, so read them as one. */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as "text");
  },
};

/** The scale-out adapter: many API and worker processes on one PostgreSQL database. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types,
    application_name: "journeys",
  });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  if (options.migrate !== false) await migrateToLatest(db as Kysely<unknown>, "postgres");
  return {
    dialect: "postgres",
    db,
    jsonText,
    reader: db,
    pool,
    location: redactUrl(options.url),
    unflushedTransaction(work) {
      return db.transaction().execute(async (trx) => {
        await sql`set local synchronous_commit = off`.execute(trx);
        return work(trx);
      });
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

/** The URL with its password replaced, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparseable url)";
  }
}
