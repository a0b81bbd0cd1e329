import type SQLite from "better-sqlite3";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import { type MembershipScan, type ScanNeeds, scannedCustomer } from "./scan";

/**
 * The embedded MembershipScan: prepared better-sqlite3 statements in raw (array) mode, so a
 * full scan allocates no row objects and parses only the JSON columns a rule reads. It must
 * run inside a transaction opened by `withSegmentTransaction`, which holds the connection.
 */
function prepare(raw: SQLite.Database) {
  const s = (sql: string) => raw.prepare(sql);
  const customers = (needs: ScanNeeds) =>
    s(
      `select id, user_id, email, phone, timezone, ${needs.attributes ? "attributes" : "null"}, ${needs.subscriptions ? "subscriptions" : "null"} from customers where business_id = ? order by id`,
    ).raw(true);
  return {
    customers: new Map<string, SQLite.Statement>(
      [false, true].flatMap((attributes) =>
        [false, true].map((subscriptions) => [
          `${attributes}/${subscriptions}`,
          customers({ attributes, subscriptions }),
        ]),
      ),
    ),
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

const prepared = new WeakMap<SQLite.Database, ReturnType<typeof prepare>>();

export function sqliteScan(raw: SQLite.Database, db: Kysely<Database>, businessId: string): MembershipScan {
  let q = prepared.get(raw);
  if (!q) {
    q = prepare(raw);
    prepared.set(raw, q);
  }
  const st = q;
  const parse = (value: unknown) => JSON.parse(value as string);
  const counts = (rows: unknown[]) => new Map((rows as [string, number][]).map(([id, n]) => [id, Number(n)]));
  return {
    businessId,
    db,
    async customers(needs, visit) {
      const statement = st.customers.get(`${needs.attributes}/${needs.subscriptions}`)!;
      for (const row of statement.iterate(businessId)) {
        visit(scannedCustomer(row as Parameters<typeof scannedCustomer>[0], parse));
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
