import type { Kysely } from "kysely";
import type { Database } from "./schema";

export type DialectName = "sqlite" | "postgres";

/**
 * The store port: one interface, two adapters (`sqlite/`, `postgres/`) that pass one
 * conformance suite. Domain code queries through `db` with Kysely, which both dialects speak;
 * a hot path that needs dialect-specific SQL asks `dialect`.
 *
 * @example
 *   const store = await openStore({ databaseUrl: undefined, dataDir: "./data" });
 *   await store.db.selectFrom("businesses").selectAll().execute();
 *   await store.close();
 */
export interface Store {
  readonly dialect: DialectName;
  readonly db: Kysely<Database>;
  /** Where the data lives, safe to log (no password). */
  readonly location: string;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
