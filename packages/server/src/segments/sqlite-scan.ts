import type SQLite from "better-sqlite3";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import type { MembershipScan, ScannedCustomer } from "./scan";

/**
 * The embedded MembershipScan: prepared better-sqlite3 statements in raw (array) mode. A full
 * scan extracts only the attributes and subscription channels the rules read (`->` gives each
 * value as JSON text, so types survive), rather than decoding every customer's whole JSON. It must
 * run inside a transaction opened by `withSegmentTransaction`, which holds the connection.
 */
function prepare(raw: SQLite.Database) {
  const s = (sql: string) => raw.prepare(sql);
  return {
    /** Customer scans by the JSON paths they extract; a rule set reuses its statement. */
    customers: new Map<string, SQLite.Statement>(),
    hitCounts: s(
      "select customer_id, count(*) from event_hits where business_id = ? and counter = ? group by customer_id",
    ).raw(true),
    hitCountsSince: s(
      "select customer_id, count(*) from event_hits where business_id = ? and counter = ? and timestamp >= ? group by customer_id",
    ).raw(true),
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
/** Built-in attributes and their columns, in the order a scan row holds them (after id). */
const BUILT_IN = [
  ["userId", "user_id"],
  ["email", "email"],
  ["phone", "phone"],
  ["timezone", "timezone"],
] as const;

const prepared = new WeakMap<SQLite.Database, ReturnType<typeof prepare>>();

export function sqliteScan(raw: SQLite.Database, db: Kysely<Database>, businessId: string): MembershipScan {
  let q = prepared.get(raw);
  if (!q) {
    q = prepare(raw);
    prepared.set(raw, q);
  }
  const st = q;
  const counts = (rows: unknown[]) => new Map((rows as [string, number][]).map(([id, n]) => [id, Number(n)]));
  return {
    businessId,
    db,
    async customers(needs, visit) {
      const builtIn = BUILT_IN.map(([name]) => needs.attributes.includes(name));
      const custom = needs.attributes.filter((name) => !BUILT_IN.some(([b]) => b === name));
      // A JSON path cannot quote every key; such a rule decodes the attributes column whole.
      const whole = custom.some((name) => /["\\]/.test(name));
      const paths = whole ? [] : custom;
      const columns = [
        "id",
        ...BUILT_IN.map(([, column], i) => (builtIn[i] ? column : "null")),
        ...(whole ? ["attributes"] : paths.map(() => "attributes -> ?")),
        ...needs.subscriptions.map(() => "subscriptions ->> ?"),
      ];
      const sql = `select ${columns.join(", ")} from customers where business_id = ? and id > ? order by id limit ${PAGE}`;
      let statement = st.customers.get(sql);
      if (!statement) {
        statement = raw.prepare(sql).raw(true);
        st.customers.set(sql, statement);
      }
      const params = [
        ...paths.map((name) => `$."${name}"`),
        ...needs.subscriptions.map((channel) => `$.channels.${channel}`),
        businessId,
      ];
      const first = 5 + (whole ? 1 : paths.length);
      // Pages through `all()`: better-sqlite3's iterator costs several times more per row.
      let after = "";
      for (;;) {
        const rows = statement.all(...params, after) as (string | null)[][];
        for (const r of rows) {
          let attributes: Record<string, unknown>;
          if (whole) attributes = r[5] === null ? {} : JSON.parse(r[5]!);
          else {
            attributes = {};
            for (let k = 0; k < paths.length; k++) {
              const value = r[5 + k];
              if (value === null || value === undefined) continue;
              const name = paths[k]!;
              // An attribute called "__proto__" is data, not a prototype.
              if (name === "__proto__") {
                Object.defineProperty(attributes, name, { value: JSON.parse(value), enumerable: true });
              } else attributes[name] = JSON.parse(value);
            }
          }
          const subscriptions: Record<string, unknown> = {};
          for (let k = 0; k < needs.subscriptions.length; k++) {
            const status = r[first + k];
            if (status !== null && status !== undefined) subscriptions[needs.subscriptions[k]!] = status;
          }
          visit({
            id: r[0]!,
            facts: {
              userId: r[1] ?? null,
              email: r[2] ?? null,
              phone: r[3] ?? null,
              timezone: r[4] ?? null,
              attributes,
              subscriptions: subscriptions as ScannedCustomer["facts"]["subscriptions"],
            },
          });
        }
        if (rows.length < PAGE) return;
        after = rows[rows.length - 1]![0]!;
      }
    },
    async hitCounts(counter, since) {
      return counts(
        since === null
          ? st.hitCounts.all(businessId, counter)
          : st.hitCountsSince.all(businessId, counter, since),
      );
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
