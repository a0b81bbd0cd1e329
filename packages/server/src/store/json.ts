/** JSON columns: written as text on both dialects (PostgreSQL casts it to jsonb). */
export function writeJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** JSON columns come back as text from SQLite and already parsed from PostgreSQL. */
export function readJson<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

/**
 * A JSON column's value as read, ready to be written again without a parse and a stringify:
 * SQLite's text as it is, PostgreSQL's parsed value as text. Like `readJson`, it takes a string
 * for JSON text: JSON columns hold objects, arrays or null, never a bare string.
 */
export function jsonText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}
