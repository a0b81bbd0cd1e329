import { type Kysely, type Migration, Migrator } from "kysely";
import { MIGRATIONS } from "./migrations/index";
import type { DialectName } from "./store";

export interface MigrationReport {
  applied: string[];
  current: string | null;
}

/**
 * Brings the schema up to the newest migration. Safe to run from many processes at once:
 * Kysely's migrator takes a lock (an advisory lock on PostgreSQL).
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: DialectName): Promise<MigrationReport> {
  const migrations: Record<string, Migration> = {};
  for (const m of MIGRATIONS) migrations[m.name] = { up: (d) => m.up(d, dialect) };
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: "journeys_migrations",
    migrationLockTableName: "journeys_migrations_lock",
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    // No migration failed: the store itself did (no connection, no lock). The caller names the store.
    if (!failed) throw error;
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const applied = (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
  return { applied, current: MIGRATIONS.at(-1)?.name ?? null };
}
