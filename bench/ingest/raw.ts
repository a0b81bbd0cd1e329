import type { SqliteStore } from "../../packages/server/src/store/store";
import { shadowTable } from "../shadow";

/**
 * The raw baselines of bench/ingest: prepared better-sqlite3 statements in transactions of
 * `batch` messages, into the same tables (same indexes, same store), with no pipeline logic.
 *
 * - `rawEventRows`: only the event rows of the run.
 * - `rawEveryRow`: every row the run wrote, as #4's raw ceiling does for the engine: the events,
 *   their counter hits, the customer rows identify rewrote, and each membership change (the
 *   member row inserted or deleted, and its log row).
 *
 * The copies get fresh keys (prefixed event and message ids, `raw_` segment ids) so they land
 * beside the run's own rows, in the same b-trees, without colliding.
 */

/** The message ids of the measured run start with this (see workload `messages`). */
const RUN = "run-";

/** Inserts the run's event rows again; returns the seconds it took. */
export function rawEventRows(store: SqliteStore, businessId: string, batch: number): number {
  const events = runEvents(store, businessId);
  const insert = insertEvent(store, "raw1");
  const started = performance.now();
  for (let i = 0; i < events.length; i += batch) {
    store.raw.transaction(() => {
      for (const e of events.slice(i, i + batch)) insert(businessId, e);
    })();
  }
  return (performance.now() - started) / 1000;
}

/** The last membership log seq of the business: call it just before the run. */
export function lastMembershipSeq(store: SqliteStore, businessId: string): number {
  return Number(
    store.raw
      .prepare("select coalesce(max(seq), 0) from membership_events where business_id = ?")
      .pluck()
      .get(businessId),
  );
}

/**
 * Writes every row the run wrote again, in the run's order: membership changes are spread
 * over the transactions in log order, as they were spread over the run's. Changes of
 * `excludeCustomer` (the latency probe, not part of the run) are left out.
 *
 * Untimed set-up: the members as they were before the run are rebuilt under `raw_` segment
 * ids (today's members with the run's changes undone, newest first), so the replayed changes
 * find the rows they delete; copying them before the run would have doubled the member
 * b-trees the run itself wrote into.
 *
 * `into`: the run's own tables, or empty copies of the events, hits, members and log tables
 * (`shadowTable`) with only the indexes that enforce a uniqueness — the least any store of
 * these rows must maintain.
 */
export function rawEveryRow(
  store: SqliteStore,
  businessId: string,
  batch: number,
  afterSeq: number,
  excludeCustomer: string,
  into: "the run's tables" | "unique only" = "the run's tables",
): { seconds: number; rows: Record<string, number> } {
  const db = store.raw;
  // Prefixes the copied tables and the replayed rows' keys.
  const keys = into === "unique only" ? "rawkeys" : "raw2";
  const table = (name: string) => (into === "unique only" ? shadowTable(db, name, keys, into) : name);
  const t = {
    events: table("events"),
    hits: table("event_hits"),
    members: table("segment_members"),
    log: table("membership_events"),
  };
  const events = runEvents(store, businessId);
  const hitsOf = new Map<string, HitRow[]>();
  const hits = db
    .prepare(
      `select h.customer_id, h.counter, h.timestamp, h.event_id from event_hits h join events e on e.business_id = h.business_id and e.id = h.event_id where h.business_id = ? and e.message_id like '${RUN}%'`,
    )
    .all(businessId) as HitRow[];
  for (const hit of hits) {
    const list = hitsOf.get(hit.event_id) ?? [];
    list.push(hit);
    hitsOf.set(hit.event_id, list);
  }
  const changes = db
    .prepare(
      // Not the changes an earlier replay logged (under `raw_` segment ids).
      "select segment_id, customer_id, change, at from membership_events where business_id = ? and seq > ? and customer_id <> ? and segment_id not like 'raw%' order by seq",
    )
    .all(businessId, afterSeq, excludeCustomer) as ChangeRow[];
  const customers = new Map<string, CustomerRow>();
  const byId = db.prepare("select * from customers where business_id = ? and id = ?");
  for (const e of events) {
    if (e.type === "identify" && !customers.has(e.customer_id))
      customers.set(e.customer_id, byId.get(businessId, e.customer_id) as CustomerRow);
  }

  const join = db.prepare(
    `insert into ${t.members} (business_id, segment_id, customer_id, since) values (?, ?, ?, ?)`,
  );
  const leave = db.prepare(
    `delete from ${t.members} where business_id = ? and segment_id = ? and customer_id = ?`,
  );
  const log = db.prepare(
    `insert into ${t.log} (business_id, segment_id, customer_id, change, at) values (?, ?, ?, ?, ?)`,
  );
  db.prepare(
    `insert into ${t.members} (business_id, segment_id, customer_id, since) select business_id, 'raw_' || segment_id, customer_id, since from segment_members where business_id = ? and segment_id not like 'raw%'`,
  ).run(businessId);
  db.transaction(() => {
    for (const c of [...changes].reverse()) {
      if (c.change === "joined") leave.run(businessId, `raw_${c.segment_id}`, c.customer_id);
      else join.run(businessId, `raw_${c.segment_id}`, c.customer_id, c.at);
    }
  })();

  const event = insertEvent(store, keys, t.events);
  const hit = db.prepare(
    `insert into ${t.hits} (business_id, customer_id, counter, timestamp, event_id) values (?, ?, ?, ?, ?) on conflict do nothing`,
  );
  const update = db.prepare(
    "update customers set user_id = @user_id, email = @email, phone = @phone, timezone = @timezone, locale = @locale, attributes = @attributes, subscriptions = @subscriptions, addresses = @addresses, updated_at = @updated_at where business_id = @business_id and id = @id",
  );

  const transactions = Math.ceil(events.length / batch);
  const started = performance.now();
  for (let t = 0; t < transactions; t++) {
    db.transaction(() => {
      for (const e of events.slice(t * batch, (t + 1) * batch)) {
        if (e.type === "identify") update.run(customers.get(e.customer_id));
        event(businessId, e);
        for (const h of hitsOf.get(e.id) ?? [])
          hit.run(businessId, h.customer_id, h.counter, h.timestamp, `${keys}_${h.event_id}`);
      }
      const from = Math.floor((t * changes.length) / transactions);
      const to = Math.floor(((t + 1) * changes.length) / transactions);
      for (const c of changes.slice(from, to)) {
        const segment = `raw_${c.segment_id}`;
        if (c.change === "joined") join.run(businessId, segment, c.customer_id, c.at);
        else leave.run(businessId, segment, c.customer_id);
        log.run(businessId, segment, c.customer_id, c.change, c.at);
      }
    })();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    rows: { events: events.length, hits: hits.length, membershipChanges: changes.length },
  };
}

interface EventRow {
  id: string;
  customer_id: string;
  type: string;
  name: string | null;
  properties: string;
  context: string | null;
  timestamp: number;
  received_at: number;
  message_id: string;
}
interface HitRow {
  customer_id: string;
  counter: string;
  timestamp: number;
  event_id: string;
}
interface ChangeRow {
  segment_id: string;
  customer_id: string;
  change: string;
  at: number;
}
type CustomerRow = Record<string, unknown>;

function runEvents(store: SqliteStore, businessId: string): EventRow[] {
  return store.raw
    .prepare(
      `select id, customer_id, type, name, properties, context, timestamp, received_at, message_id from events where business_id = ? and message_id like '${RUN}%' order by rowid`,
    )
    .all(businessId) as EventRow[];
}

/** Inserts a copy of an event under `prefix`-ed keys into `table` (the events table's own by default). */
function insertEvent(
  store: SqliteStore,
  prefix: string,
  table = "events",
): (businessId: string, e: EventRow) => void {
  const insert = store.raw.prepare(
    `insert into ${table} (business_id, id, customer_id, type, name, properties, context, timestamp, received_at, message_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (business_id, message_id) do nothing`,
  );
  return (businessId, e) => {
    insert.run(
      businessId,
      `${prefix}_${e.id}`,
      e.customer_id,
      e.type,
      e.name,
      e.properties,
      e.context,
      e.timestamp,
      e.received_at,
      `${prefix}-${e.message_id}`,
    );
  };
}
