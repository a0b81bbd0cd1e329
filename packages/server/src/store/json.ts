/** JSON columns: written as text on both dialects (PostgreSQL casts it to jsonb). */
export function writeJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** JSON columns come back as text from SQLite and already parsed from PostgreSQL. */
export function readJson<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}
