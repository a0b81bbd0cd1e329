import { jsonKeyPath } from "../store/sqlite/json-path";
import { PREFILTER_OPS as OPS, type Prefilter, PREFILTER_SAFE_INTEGER as SAFE } from "./prefilter";
import { builtInColumn } from "./scan";

/**
 * A prefilter as an SQLite expression over a `customers` row, with its parameters in order.
 */
export function prefilterSql(p: Prefilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const compile = (p: Prefilter): string => {
    if ("all" in p) return `(${p.all.map(compile).join(" and ")})`;
    if ("any" in p) return `(${p.any.map(compile).join(" or ")})`;
    if ("hit" in p) {
      params.push(p.hit, p.since ?? Number.MIN_SAFE_INTEGER);
      return "exists (select 1 from event_hits h where h.business_id = customers.business_id and h.customer_id = customers.id and h.counter = ? and h.timestamp >= ?)";
    }
    if ("subscribed" in p) {
      params.push(`$.channels.${p.subscribed}`);
      return p.orUnknown
        ? "coalesce(subscriptions ->> ?, 'unknown') in ('subscribed', 'unknown')"
        : "subscriptions ->> ? = 'subscribed'";
    }
    const name = "present" in p ? p.present : "oneOf" in p ? p.oneOf : p.compare;
    const column = builtInColumn(name);
    if (column !== null) {
      if (!("oneOf" in p)) return `${column} is not null`; // text: a number comparison never applies
      params.push(...p.values);
      return `${column} in (${p.values.map(() => "?").join(", ")})`;
    }
    const path = jsonKeyPath(name);
    if ("present" in p) {
      params.push(path);
      return "attributes ->> ? is not null";
    }
    if ("oneOf" in p) {
      params.push(path, path, ...p.values);
      return `(case coalesce(json_type(attributes, ?), 'null') when 'null' then 0 when 'text' then attributes ->> ? in (${p.values.map(() => "?").join(", ")}) else 1 end)`;
    }
    params.push(path, path, -SAFE, SAFE, path, p.value);
    return `(case coalesce(json_type(attributes, ?), 'null') when 'null' then 0 when 'integer' then (attributes ->> ? not between ? and ? or attributes ->> ? ${OPS[p.op]} ?) else 1 end)`;
  };
  const sql = compile(p);
  return { sql, params };
}
