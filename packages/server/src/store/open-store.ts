import { join } from "node:path";
import { openPostgresStore } from "./postgres/postgres-store";
import { openSqliteStore } from "./sqlite/sqlite-store";
import type { Store } from "./store";

export interface StoreConfig {
  /** postgres://… selects PostgreSQL; absent selects the embedded SQLite file. */
  databaseUrl: string | undefined;
  dataDir: string;
  migrate?: boolean;
}

/** Opens the store the configuration asks for. */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.databaseUrl) {
    return openPostgresStore({ url: config.databaseUrl, migrate: config.migrate ?? true });
  }
  return openSqliteStore({ file: join(config.dataDir, "journeys.db"), migrate: config.migrate ?? true });
}
