import type { BuiltInAttribute, CustomerFacts } from "@journeys/core";
import type SQLite from "better-sqlite3";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import { jsonKeyPath } from "../store/sqlite/json-path";
import { preparedOnce } from "../store/sqlite/prepared";
import { BUILT_IN_COLUMNS, countRowsOf, type MembershipScan, readCounts, type ScannedCustomer } from "./scan";
import { prefilterSql } from "./sqlite-prefilter";

/**
 * The embedded MembershipScan: prepared better-sqlite3 statements in raw (array) mode. A full
 * scan extracts only the attributes and subscription channels the rules read (`->` gives each
 * value as JSON text, so types survive), rather than decoding every customer's whole JSON.
 * With a prefilter, SQLite drops the customers that fail it and counts event hits for each row
 * that passes; without one, each page's hits are counted in one grouped query. It must run
 * inside a transaction opened by `withSegmentTransaction`, which holds the connection.
 */
function prepare(raw: SQLite.Database) {
  const s = (sql: string) => raw.prepare(sql);
  return {
    /** Scan statements by their SQL (it varies with what a rule set reads), in raw mode. */
    bySql: new Map<string, SQLite.Statement>(),
    trackEvents: s(
      "select id, customer_id, properties, timestamp from events where business_id = ? and type = 'track' and name = ?",
    ).raw(true),
    insertHit: s(
      "insert into event_hits (business_id, customer_id, counter, timestamp, event_id) values (?, ?, ?, ?, ?) on conflict do nothing",
    ),
    deleteHits: s("delete from event_hits where business_id = ? and counter = ?"),
    deleteCounter: s("delete from counters where business_id = ? and counter = ?"),
    members: s(
      "select customer_id from segment_members where business_id = ? and segment_id = ? order by customer_id",
    ).pluck(),
    join: s(
      "insert into segment_members (business_id, segment_id, customer_id, since) values (?, ?, ?, ?) on conflict do nothing",
    ),
    leave: s("delete from segment_members where business_id = ? and segment_id = ? and customer_id = ?"),
    logChange: s(
      "insert into membership_events (business_id, segment_id, customer_id, change, at) values (?, ?, ?, ?, ?)",
    ),
  };
}

const PAGE = 10_000;
/** Built-in attributes and their columns. */
const BUILT_IN = Object.entries(BUILT_IN_COLUMNS) as [BuiltInAttribute, string][];

const prepared = preparedOnce(prepare);

export function sqliteScan(raw: SQLite.Database, db: Kysely<Database>, businessId: string): MembershipScan {
  const st = prepared(raw);
  const cached = (sql: string) => {
    let statement = st.bySql.get(sql);
    if (!statement) {
      statement = raw.prepare(sql).raw(true);
      st.bySql.set(sql, statement);
    }
    return statement;
  };
  return {
    businessId,
    db,
    async customers(needs, visit) {
      // Only the columns the rules read: every column a row carries costs, even a constant null.
      const builtIn = BUILT_IN.filter(([name]) => needs.attributes.includes(name));
      const custom = needs.attributes.filter((name) => !BUILT_IN.some(([b]) => b === name));
      const windows = needs.counts;
      const countParams = windows.flatMap((w) => (w.since === null ? [w.counter] : [w.counter, w.since]));
      // With a prefilter, each row that passes counts its own windows (a few index probes);
      // without one, a grouped pass over each page's hits is cheaper than a probe per customer.
      const inline = needs.prefilter !== null;
      const columns = [
        "id",
        ...builtIn.map(([, column]) => column),
        ...custom.map(() => "attributes -> ?"),
        ...needs.subscriptions.map(() => "subscriptions ->> ?"),
        ...(inline
          ? windows.map(
              (w) =>
                `(select count(*) from event_hits h where h.business_id = customers.business_id and h.customer_id = customers.id and h.counter = ?${w.since === null ? "" : " and h.timestamp >= ?"})`,
            )
          : []),
      ];
      const filter = needs.prefilter ? prefilterSql(needs.prefilter) : { sql: "1", params: [] };
      const page = cached(
        `select ${columns.join(", ")} from customers where business_id = ? and id > ? and ${filter.sql} order by id limit ${PAGE}`,
      );
      const params = [
        ...custom.map(jsonKeyPath),
        ...needs.subscriptions.map((channel) => `$.channels.${channel}`),
        ...(inline ? countParams : []),
        businessId,
      ];
      // The column of each built-in attribute, or -1 when it is not read.
      const columnOf = (name: BuiltInAttribute) => {
        const i = builtIn.findIndex(([b]) => b === name);
        return i === -1 ? -1 : 1 + i;
      };
      const userId = columnOf("userId");
      const email = columnOf("email");
      const phone = columnOf("phone");
      const timezone = columnOf("timezone");
      const locale = columnOf("locale");
      const column = (r: (string | null)[], i: number) => (i === -1 ? null : (r[i] ?? null));
      const firstAttribute = 1 + builtIn.length;
      const firstSubscription = firstAttribute + custom.length;
      const firstCount = firstSubscription + needs.subscriptions.length;
      // One grouped pass over the page's hits counts every window: the primary key orders hits
      // by customer, so grouping streams, and the rows come in the page's id order.
      const counters = [...new Set(windows.map((w) => w.counter))];
      const countPage =
        windows.length === 0 || inline
          ? null
          : cached(
              `select customer_id, ${windows.map((w) => (w.since === null ? "count(*) filter (where counter = ?)" : "count(*) filter (where counter = ? and timestamp >= ?)")).join(", ")} from event_hits where business_id = ? and customer_id > ? and customer_id <= ? and counter in (${counters.map(() => "?").join(", ")}) group by customer_id order by customer_id`,
            );
      const counts = new Array<number>(windows.length).fill(0);
      // One customer object, refilled for each row (`visit` may not keep it). Absent values are
      // undefined, which the evaluator reads as missing, like an absent key. No prototype: an
      // attribute called "__proto__" is data.
      const channels = needs.subscriptions;
      const attributes: Record<string, unknown> = Object.create(null);
      const subscriptions: Record<string, unknown> = Object.create(null);
      const facts: CustomerFacts = {
        userId: null,
        email: null,
        phone: null,
        timezone: null,
        locale: null,
        attributes,
        subscriptions: subscriptions as CustomerFacts["subscriptions"],
      };
      const customer: ScannedCustomer = { id: "", facts, counts };
      // Pages through `all()`: better-sqlite3's iterator costs several times more per row.
      let after = "";
      for (;;) {
        const rows = page.all(...params, after, ...filter.params) as (string | null)[][];
        if (rows.length === 0) return;
        const ids = rows.map((r) => r[0]!);
        const countRows = countPage
          ? (countPage.all(
              ...countParams,
              businessId,
              after,
              ids[ids.length - 1],
              ...counters,
            ) as unknown[][])
          : [];
        const rowOf = countRowsOf(ids, countRows);
        for (let i = 0; i < rows.length; i++) {
          const r = rows[i]!;
          for (let k = 0; k < custom.length; k++) {
            const value = r[firstAttribute + k];
            attributes[custom[k]!] = value === null || value === undefined ? undefined : jsonValue(value);
          }
          for (let k = 0; k < channels.length; k++) {
            subscriptions[channels[k]!] = r[firstSubscription + k] ?? undefined;
          }
          facts.userId = column(r, userId);
          facts.email = column(r, email);
          facts.phone = column(r, phone);
          facts.timezone = column(r, timezone);
          facts.locale = column(r, locale);
          if (inline) for (let k = 0; k < counts.length; k++) counts[k] = Number(r[firstCount + k]);
          else readCounts(countRows[rowOf[i]!], counts);
          customer.id = ids[i]!;
          visit(customer);
        }
        if (rows.length < PAGE) return;
        after = ids[ids.length - 1]!;
      }
    },
    async trackEvents(name, visit) {
      for (const row of st.trackEvents.iterate(businessId, name)) {
        const [eventId, customerId, properties, timestamp] = row as [string, string, string, number];
        visit({ eventId, customerId, properties: JSON.parse(properties), timestamp: Number(timestamp) });
      }
    },
    async insertHits(counter, hits) {
      for (const h of hits) st.insertHit.run(businessId, h.customerId, counter, h.timestamp, h.eventId);
    },
    async deleteCounter(counter) {
      st.deleteHits.run(businessId, counter);
      st.deleteCounter.run(businessId, counter);
    },
    async members(segmentId) {
      return new Set(st.members.all(businessId, segmentId) as string[]);
    },
    async join(segmentId, customerIds, at) {
      const joined: string[] = [];
      for (const id of customerIds) {
        if (st.join.run(businessId, segmentId, id, at).changes === 0) continue;
        st.logChange.run(businessId, segmentId, id, "joined", at);
        joined.push(id);
      }
      return joined;
    },
    async leave(segmentId, customerIds, at) {
      const left: string[] = [];
      for (const id of customerIds) {
        if (st.leave.run(businessId, segmentId, id).changes === 0) continue;
        st.logChange.run(businessId, segmentId, id, "left", at);
        left.push(id);
      }
      return left;
    },
  };
}

/**
 * A value as SQLite's `->` writes it: minified JSON. Strings without escapes and numbers,
 * what attributes mostly hold, are read without the general parser, which cost a full scan
 * more than the rest of its decoding.
 */
function jsonValue(text: string): unknown {
  const first = text.charCodeAt(0);
  if (first === 0x22 && text.indexOf("\\") === -1) return text.slice(1, -1);
  if (first === 0x2d || (first >= 0x30 && first <= 0x39)) return Number(text);
  return JSON.parse(text);
}
