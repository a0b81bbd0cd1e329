import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { migrateToLatest } from "../migrate";
import type { Database } from "../schema";
import type { SqliteStore } from "../store";
import { CheckpointThread } from "./checkpoint-thread";
import { jsonText } from "./json-text";
import { unflushed, WalSync } from "./wal-sync";

export interface SqliteStoreOptions {
  /** Path of the database file; ":memory:" for a throwaway store. */
  file: string;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
}

/**
 * The embedded default: one SQLite file, one writer, zero set-up.
 * WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
 * across a power cut, which "answer only after a durable write" needs. The hot paths commit
 * unflushed instead and, where they answer or send, wait for `syncLog` (see
 * `Store.unflushedTransaction`, `wal-sync.ts`); checkpoints run on `CheckpointThread`.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  if (options.file !== ":memory:") mkdirSync(dirname(options.file), { recursive: true });
  const raw = new SQLite(options.file);
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = FULL");
  raw.pragma("busy_timeout = 5000");
  raw.pragma("foreign_keys = ON");
  // A larger page cache and memory-mapped reads keep the hot indexes (events by message id,
  // members by customer) out of the read path; 64 MiB cache, 256 MiB map.
  raw.pragma("cache_size = -65536");
  raw.pragma("mmap_size = 268435456");
  raw.pragma("temp_store = memory");
  // Checkpoints run on a thread of their own (CheckpointThread). The writer checkpoints only as
  // the backstop, when the log reaches ~40 MiB.
  raw.pragma("wal_autocheckpoint = 10000");
  const db = kyselyOver(raw);
  const wal = new WalSync(options.file);
  if (options.migrate !== false) await migrateToLatest(db as Kysely<unknown>, "sqlite");
  const readerRaw = options.file === ":memory:" ? null : openReaderConnection(options.file);
  const checkpoints = options.file === ":memory:" ? null : new CheckpointThread(options.file);
  const reader = readerRaw ? kyselyOver(readerRaw) : db;
  return {
    dialect: "sqlite",
    db,
    jsonText,
    reader,
    raw,
    location: options.file,
    unflushedTransaction(work) {
      // The connection is held for the whole transaction (SQLite has one write connection),
      // so no other transaction commits under the relaxed setting.
      return db
        .connection()
        .execute((connection) => unflushed(raw, () => connection.transaction().execute(work)));
    },
    syncLog: () => wal.sync(),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await checkpoints?.stop();
      await wal.close();
      if (reader !== db) await reader.destroy();
      await db.destroy();
      // Kysely closes a connection only if it ever used it: close the handles ourselves.
      if (readerRaw?.open) readerRaw.close();
      if (raw.open) raw.close();
    },
  };
}

/** A read-only connection to the same file (a private in-memory database has no second one). */
function openReaderConnection(file: string): SQLite.Database {
  const raw = new SQLite(file, { readonly: true });
  raw.pragma("busy_timeout = 5000");
  raw.pragma("cache_size = -16384");
  raw.pragma("mmap_size = 268435456");
  return raw;
}

function kyselyOver(raw: SQLite.Database): Kysely<Database> {
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
}

const STATEMENT_CACHE = 500;

/**
 * Kysely prepares every query anew; preparing costs more than running a small query. The same
 * SQL text always gets the same prepared statement back (least recently used ones are let go).
 * Safe because one connection runs one statement at a time.
 */
function withStatementCache(raw: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(raw, {
    get(target, property, receiver) {
      if (property !== "prepare") return Reflect.get(target, property, receiver);
      return (sql: string) => {
        let statement = cache.get(sql);
        if (statement) {
          cache.delete(sql);
        } else {
          statement = target.prepare(sql);
          if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
        }
        cache.set(sql, statement);
        return statement;
      };
    },
  });
}
