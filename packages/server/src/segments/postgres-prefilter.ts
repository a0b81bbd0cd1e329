import { type RawBuilder, sql } from "kysely";
import { PREFILTER_OPS as OPS, type Prefilter, PREFILTER_SAFE_INTEGER as SAFE } from "./prefilter";
import { builtInColumn } from "./scan";

/**
 * A prefilter as a PostgreSQL condition over a `customers` row (jsonb columns), exactly as
 * `prefilter.ts` defines each leaf; `sqlite-prefilter.ts` is its SQLite twin.
 */
export function prefilterSql(p: Prefilter): RawBuilder<boolean> {
  if ("all" in p) return sql<boolean>`(${sql.join(p.all.map(prefilterSql), sql` and `)})`;
  if ("any" in p) return sql<boolean>`(${sql.join(p.any.map(prefilterSql), sql` or `)})`;
  if ("hit" in p) {
    return sql<boolean>`exists (select 1 from event_hits h where h.business_id = customers.business_id and h.customer_id = customers.id and h.counter = ${p.hit} and h.timestamp >= ${p.since ?? Number.MIN_SAFE_INTEGER})`;
  }
  if ("subscribed" in p) {
    const status = sql`(subscriptions -> 'channels' ->> ${p.subscribed}::text)`;
    return p.orUnknown
      ? sql<boolean>`coalesce(${status}, 'unknown') in ('subscribed', 'unknown')`
      : sql<boolean>`coalesce(${status} = 'subscribed', false)`;
  }
  const name = "present" in p ? p.present : "oneOf" in p ? p.oneOf : p.compare;
  const builtIn = builtInColumn(name);
  if (builtIn !== null) {
    const column = sql.ref(builtIn);
    if (!("oneOf" in p)) return sql<boolean>`${column} is not null`;
    return sql<boolean>`coalesce(${column} = any(${p.values}::text[]), false)`;
  }
  const type = sql`coalesce(jsonb_typeof(attributes -> ${name}::text), 'null')`;
  const text = sql`(attributes ->> ${name}::text)`;
  if ("present" in p) return sql<boolean>`${type} <> 'null'`;
  if ("oneOf" in p) {
    return sql<boolean>`(case ${type} when 'null' then false when 'string' then ${text} = any(${p.values}::text[]) else true end)`;
  }
  // jsonb keeps a number's digits: only a plain integer is compared here, as float8 (exact below 2^53).
  return sql<boolean>`(case ${type} when 'null' then false when 'number' then (${text} !~ '^-?[0-9]+$' or abs(${text}::numeric) > ${SAFE} or ${text}::float8 ${sql.raw(OPS[p.op])} ${p.value}::float8) else true end)`;
}
