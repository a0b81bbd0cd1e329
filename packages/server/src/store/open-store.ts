import { join } from "node:path";
import type { Kysely } from "kysely";
import { JourneysError } from "../errors";
import { type MigrationReport, migrateToLatest } from "./migrate";
import { openPostgresStore, redactUrl } from "./postgres/postgres-store";
import { openSqliteStore } from "./sqlite/sqlite-store";
import type { Store } from "./store";

export interface StoreConfig {
  /** postgres://… selects PostgreSQL; absent selects the embedded SQLite file. */
  databaseUrl: string | undefined;
  dataDir: string;
  migrate?: boolean;
}

/**
 * Opens the store the configuration asks for and makes sure it answers: pending migrations are
 * applied (or, with `migrate: false`, the store is pinged). Any failure — a data dir that is a
 * file, a database that refuses connections, a migration that fails — becomes one line naming
 * the variable to fix and the cause (code `store_unavailable`), not a stack trace.
 *
 * @example
 *   await openStore({ databaseUrl: "postgres://127.0.0.1:1/x", dataDir: "./data" });
 *   // ✗ DATABASE_URL=postgres://127.0.0.1:1/x: cannot open the PostgreSQL store: connect ECONNREFUSED 127.0.0.1:1
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  let store: Store;
  try {
    store = config.databaseUrl
      ? await openPostgresStore({ url: config.databaseUrl, migrate: false })
      : await openSqliteStore({ file: join(config.dataDir, "journeys.db"), migrate: false });
  } catch (error) {
    throw storeUnavailable(config, error);
  }
  try {
    if (config.migrate ?? true) await migrateStore(store, config);
    else await store.ping();
  } catch (error) {
    // Close the pool or file we did open, so a failed start exits at once instead of idling.
    await store.close().catch(() => {});
    throw error instanceof JourneysError ? error : storeUnavailable(config, error);
  }
  return store;
}

/** Applies pending migrations to an open store; a failure is reported as `openStore` reports it. */
export async function migrateStore(store: Store, config: StoreConfig): Promise<MigrationReport> {
  try {
    return await migrateToLatest(store.db as Kysely<unknown>, store.dialect);
  } catch (error) {
    throw storeUnavailable(config, error);
  }
}

function storeUnavailable(config: StoreConfig, error: unknown): JourneysError {
  const where = config.databaseUrl
    ? `DATABASE_URL=${redactUrl(config.databaseUrl)}: cannot open the PostgreSQL store`
    : `JOURNEYS_DATA_DIR=${config.dataDir}: cannot open the SQLite store there`;
  return new JourneysError("unavailable", "store_unavailable", `${where}: ${causeText(error)}`);
}

/**
 * An error's message on one line. Node reports a refused connection to a name with several
 * addresses (localhost: ::1 and 127.0.0.1) as an AggregateError whose own message is empty.
 */
function causeText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return [...new Set(error.errors.map(causeText))].join("; ");
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return (error.message || (typeof code === "string" ? code : error.name)).replace(/\s+/g, " ").trim();
}
