import { type Kysely, sql } from "kysely";
import { readJson } from "../store/json";
import type { Database } from "../store/schema";
import { prefilterSql } from "./postgres-prefilter";
import {
  builtInColumn,
  countRowsOf,
  type EventHit,
  type MembershipScan,
  readCounts,
  scannedCustomer,
} from "./scan";

const PAGE = 5_000;
const CHUNK = 1_000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * The MembershipScan over Kysely: PostgreSQL's, reading customers and events in keyset pages
 * and writing members in multi-row statements. Inserts use `on conflict do nothing … returning`
 * and deletes `returning`, so only changes that really happened are logged even when the
 * write path changes a membership concurrently. Customers that fail `needs.prefilter` are
 * skipped in the query (see `postgres-prefilter.ts`).
 */
export function kyselyScan(db: Kysely<Database>, businessId: string): MembershipScan {
  return {
    businessId,
    db,
    async customers(needs, visit) {
      const custom = needs.attributes.some((name) => builtInColumn(name) === null);
      const windows = needs.counts;
      const counters = [...new Set(windows.map((w) => w.counter))];
      const counts = new Array<number>(windows.length).fill(0);
      let after: string | null = null;
      for (;;) {
        const rows = await db
          .selectFrom("customers")
          .select(["id", "user_id", "email", "phone", "timezone", "locale"])
          .$if(custom, (q) => q.select("attributes"))
          .$if(needs.subscriptions.length > 0, (q) => q.select("subscriptions"))
          .where("business_id", "=", businessId)
          .$if(after !== null, (q) => q.where("id", ">", after!))
          .$if(needs.prefilter !== null, (q) => q.where(prefilterSql(needs.prefilter!)))
          .orderBy("id")
          .limit(PAGE)
          .execute();
        if (rows.length === 0) return;
        const ids = rows.map((r) => r.id);
        // Every window of the page's customers in one grouped query, in the page's id order.
        const countRows =
          windows.length === 0
            ? []
            : (
                await db
                  .selectFrom("event_hits")
                  .select("customer_id")
                  .select(
                    windows.map((w, k) =>
                      (w.since === null
                        ? sql<string>`count(*) filter (where counter = ${w.counter})`
                        : sql<string>`count(*) filter (where counter = ${w.counter} and timestamp >= ${w.since})`
                      ).as(`n${k}`),
                    ),
                  )
                  .where("business_id", "=", businessId)
                  .$if(after !== null, (q) => q.where("customer_id", ">", after!))
                  .where("customer_id", "<=", ids[ids.length - 1]!)
                  .where("counter", "in", counters)
                  .groupBy("customer_id")
                  .orderBy("customer_id")
                  .execute()
              ).map((r) => {
                const row = r as Record<string, unknown>;
                return [r.customer_id, ...windows.map((_, k) => row[`n${k}`])];
              });
        const rowOf = countRowsOf(ids, countRows);
        for (let i = 0; i < rows.length; i++) {
          const r = rows[i]!;
          readCounts(countRows[rowOf[i]!], counts);
          visit(
            scannedCustomer(
              [
                r.id,
                r.user_id,
                r.email,
                r.phone,
                r.timezone,
                r.locale,
                r.attributes ?? null,
                r.subscriptions ?? null,
              ],
              readJson,
              counts,
            ),
          );
        }
        if (rows.length < PAGE) return;
        after = ids[ids.length - 1]!;
      }
    },
    async trackEvents(name, visit) {
      let after: string | null = null;
      for (;;) {
        const rows = await db
          .selectFrom("events")
          .select(["id", "customer_id", "properties", "timestamp"])
          .where("business_id", "=", businessId)
          .where("type", "=", "track")
          .where("name", "=", name)
          .$if(after !== null, (q) => q.where("id", ">", after!))
          .orderBy("id")
          .limit(PAGE)
          .execute();
        for (const r of rows) {
          visit({
            eventId: r.id,
            customerId: r.customer_id,
            properties: readJson<Record<string, unknown>>(r.properties) ?? {},
            timestamp: Number(r.timestamp),
          });
        }
        if (rows.length < PAGE) return;
        after = rows[rows.length - 1]!.id;
      }
    },
    async insertHits(counter, hits: readonly EventHit[]) {
      for (const chunk of chunks(hits)) {
        await db
          .insertInto("event_hits")
          .values(
            chunk.map((h) => ({
              business_id: businessId,
              customer_id: h.customerId,
              counter,
              timestamp: h.timestamp,
              event_id: h.eventId,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    },
    async deleteCounter(counter) {
      for (const table of ["event_hits", "counters"] as const) {
        await db
          .deleteFrom(table)
          .where("business_id", "=", businessId)
          .where("counter", "=", counter)
          .execute();
      }
    },
    async members(segmentId) {
      const rows = await db
        .selectFrom("segment_members")
        .select("customer_id")
        .where("business_id", "=", businessId)
        .where("segment_id", "=", segmentId)
        .orderBy("customer_id")
        .execute();
      return new Set(rows.map((r) => r.customer_id));
    },
    async join(segmentId, customerIds, at) {
      const joined: string[] = [];
      for (const chunk of chunks(customerIds)) {
        const rows = await db
          .insertInto("segment_members")
          .values(
            chunk.map((id) => ({
              business_id: businessId,
              segment_id: segmentId,
              customer_id: id,
              since: at,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .returning("customer_id")
          .execute();
        joined.push(...rows.map((r) => r.customer_id));
      }
      await log(db, businessId, segmentId, joined, "joined", at);
      return joined;
    },
    async leave(segmentId, customerIds, at) {
      const left: string[] = [];
      for (const chunk of chunks(customerIds)) {
        const rows = await db
          .deleteFrom("segment_members")
          .where("business_id", "=", businessId)
          .where("segment_id", "=", segmentId)
          .where("customer_id", "in", chunk)
          .returning("customer_id")
          .execute();
        left.push(...rows.map((r) => r.customer_id));
      }
      await log(db, businessId, segmentId, left, "left", at);
      return left;
    },
  };
}

async function log(
  db: Kysely<Database>,
  businessId: string,
  segmentId: string,
  customerIds: readonly string[],
  change: "joined" | "left",
  at: number,
): Promise<void> {
  for (const chunk of chunks(customerIds)) {
    await db
      .insertInto("membership_events")
      .values(
        chunk.map((id) => ({ business_id: businessId, segment_id: segmentId, customer_id: id, change, at })),
      )
      .execute();
  }
}
