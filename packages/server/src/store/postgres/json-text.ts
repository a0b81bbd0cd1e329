import { type RawBuilder, sql } from "kysely";

/**
 * A JSON column's value at a key path, as text: `col #>> '{a,b}'`, each key a bound parameter.
 * The SQLite twin is `sqlite/json-text.ts`.
 *
 * @example jsonText("addresses", ["telegram", "chatId"]) // addresses #>> array['telegram','chatId']
 */
export function jsonText(column: string, keys: readonly string[]): RawBuilder<string | null> {
  return sql<
    string | null
  >`${sql.ref(column)} #>> ${sql`array[${sql.join(keys.map((k) => sql`${k}::text`))}]`}`;
}
