/**
 * Whether a write failed on a unique index, on either store: SQLite's
 * `SQLITE_CONSTRAINT_UNIQUE` (or the primary key's), PostgreSQL's SQLSTATE 23505. `index`
 * narrows it to one index (PostgreSQL names it; SQLite names the columns, so any unique
 * failure on SQLite matches).
 *
 * @example if (isUniqueViolation(error, "segments_name")) throw nameTaken(…);
 */
export function isUniqueViolation(error: unknown, index?: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown };
  if (e?.code === "23505") return index === undefined || e.constraint === index;
  return e?.code === "SQLITE_CONSTRAINT_UNIQUE" || e?.code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
