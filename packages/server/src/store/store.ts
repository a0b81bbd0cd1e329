import type SQLite from "better-sqlite3";
import type { Kysely, RawBuilder } from "kysely";
import type pg from "pg";
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
export type Store = SqliteStore | PostgresStore;

/** The embedded adapter also exposes its connection, for prepared-statement hot paths. */
export interface SqliteStore extends StoreBase {
  readonly dialect: "sqlite";
  readonly raw: SQLite.Database;
  /**
   * Resolves once every commit made before the call is on disk, by an fsync of the
   * write-ahead log off the event loop (see `sqlite/wal-sync.ts`). The hot paths that must be
   * durable before they answer (ingestion, a delivery's claim before its send) commit
   * unflushed and then wait for this, so the fsync does not stall everything else.
   */
  syncLog(): Promise<void>;
}

export interface PostgresStore extends StoreBase {
  readonly dialect: "postgres";
  readonly pool: pg.Pool;
}

interface StoreBase {
  readonly dialect: DialectName;
  readonly db: Kysely<Database>;
  /**
   * For reads that must not queue behind writes (a key check on every ingestion call): on
   * SQLite a second, read-only connection — WAL lets it read the last committed state while
   * a write transaction holds `db`'s one connection; on PostgreSQL the same pool as `db`.
   * It sees committed data only.
   */
  readonly reader: Kysely<Database>;
  /**
   * A write transaction whose commit is not flushed to disk on its own — for the engine's and
   * the dispatcher's internal steps, which nobody outside the process has been told of yet
   * (SQLite `synchronous=NORMAL`, PostgreSQL `synchronous_commit=off`). It survives a crash of
   * this process (kill -9) as any commit does; a power cut may undo it, but only together with
   * every commit after it: the next flushed commit (an ingestion answer, a delivery's claim
   * before its send) makes it durable, in commit order. Everything else commits flushed.
   */
  unflushedTransaction<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * A JSON column's value at a key path, for a `where` or `select` — each dialect's own JSON
   * operator (`sqlite/json-text.ts`, `postgres/json-text.ts`). Strings compare alike on both;
   * a number or boolean is text on PostgreSQL and its own value on SQLite.
   *
   * @example db.selectFrom("customers").where(store.jsonText("addresses", ["telegram", "chatId"]), "=", "42")
   */
  jsonText(column: string, keys: readonly string[]): RawBuilder<string | null>;
  /** Where the data lives, safe to log (no password). */
  readonly location: string;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
