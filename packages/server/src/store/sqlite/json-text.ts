import { type RawBuilder, sql } from "kysely";
import { jsonKeyPath } from "./json-path";

/**
 * A JSON column's value at a key path, as text: `json_extract(col, '$."a"."b"')` (every key
 * quoted exactly, see json-path.ts). The PostgreSQL twin is `postgres/json-text.ts`.
 *
 * @example jsonText("addresses", ["telegram", "chatId"]) // json_extract(addresses, '$."telegram"."chatId"')
 */
export function jsonText(column: string, keys: readonly string[]): RawBuilder<string | null> {
  const path = `$${keys.map((k) => jsonKeyPath(k).slice(1)).join("")}`;
  return sql<string | null>`json_extract(${sql.ref(column)}, ${path})`;
}
