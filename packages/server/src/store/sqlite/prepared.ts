import type SQLite from "better-sqlite3";

/**
 * Statements prepared once per connection, on first use, for the embedded hot paths (binding
 * positional parameters to a prepared statement is what makes them cheaper than Kysely's).
 *
 * @example
 *   const statements = preparedOnce((raw) => ({ byId: raw.prepare("select … where id = ?") }));
 *   statements(store.raw).byId.get(id);
 */
export function preparedOnce<T>(prepare: (raw: SQLite.Database) => T): (raw: SQLite.Database) => T {
  const byConnection = new WeakMap<SQLite.Database, T>();
  return (raw) => {
    let statements = byConnection.get(raw);
    if (statements === undefined) {
      statements = prepare(raw);
      byConnection.set(raw, statements);
    }
    return statements;
  };
}
