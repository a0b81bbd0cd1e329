import { sql } from "kysely";
import type { Store } from "./store";

/**
 * What an operator should hear about the database at start-up: settings under which the store
 * still works, but slowly. PostgreSQL without autovacuum never analyzes its tables, and
 * without statistics the planner guesses — it has scanned all of a business's customers for
 * every ingestion batch (`docs/decisions.md`).
 *
 * @example for (const warning of await storeWarnings(store)) log.warn(warning);
 */
export async function storeWarnings(store: Store): Promise<string[]> {
  if (store.dialect !== "postgres") return [];
  const { rows } = await sql<{
    autovacuum: string;
  }>`select current_setting('autovacuum') as autovacuum`.execute(store.db);
  return rows[0]?.autovacuum === "off"
    ? [
        "PostgreSQL runs with autovacuum off: tables get no statistics, and queries may scan whole tables as they grow. Turn autovacuum on, or run ANALYZE regularly.",
      ]
    : [];
}
