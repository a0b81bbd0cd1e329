import type SQLite from "better-sqlite3";

/**
 * Which indexes a shadow table gets: every index of the original, or only those that enforce
 * a uniqueness the product relies on (primary key, message ids, delivery keys, one enrollment
 * per run) — the least any store of these rows must maintain.
 */
export type ShadowIndexes = "every index" | "unique only";

/**
 * Creates `${prefix}_${table}`: an empty copy of one of the store's SQLite tables for a raw
 * baseline, made from the schema's own DDL (so it follows the migrations: columns, primary key,
 * WITHOUT ROWID, partial indexes), with the indexes `indexes` says. Returns its name.
 *
 * @example shadowTable(db, "deliveries", "raw", "unique only") // "raw_deliveries"
 */
export function shadowTable(
  db: SQLite.Database,
  table: string,
  prefix: string,
  indexes: ShadowIndexes,
): string {
  const name = `${prefix}_${table}`;
  const rows = db
    .prepare("select type, name, sql from sqlite_master where tbl_name = ? and sql is not null")
    .all(table) as { type: string; name: string; sql: string }[];
  const create = rows.find((r) => r.type === "table");
  if (!create) throw new Error(`no table ${table}`);
  const tableName = new RegExp(`^(CREATE TABLE )"?${table}"?`, "i");
  db.exec(create.sql.replace(tableName, `$1"${name}"`));
  for (const index of rows.filter((r) => r.type === "index")) {
    const unique = /^CREATE UNIQUE INDEX/i.test(index.sql);
    if (indexes === "unique only" && !unique) continue;
    const head = new RegExp(`^(CREATE (?:UNIQUE )?INDEX )"?${index.name}"? on "?${table}"?`, "i");
    if (!head.test(index.sql)) throw new Error(`cannot read the DDL of index ${index.name}`);
    db.exec(index.sql.replace(head, `$1"${prefix}_${index.name}" on "${name}"`));
  }
  return name;
}
