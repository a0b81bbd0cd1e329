import { sql } from "kysely";

/**
 * The predicate of the outbox's claim index `deliveries_claimable` (migration 0008): the
 * deliveries a claim can take. A query meant to use the index includes it as is — SQLite uses
 * a partial index only when the query repeats the index's terms as literals, and a bound
 * parameter in their place would silently scan the whole outbox (`claimable.test.ts` checks).
 *
 * @example sql`select id from deliveries where ${CLAIMABLE} and next_attempt_at <= ${now}`
 */
export const CLAIMABLE = sql<boolean>`status in ('queued', 'sending')`;
