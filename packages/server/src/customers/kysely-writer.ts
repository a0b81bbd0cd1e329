import { type Kysely, sql } from "kysely";
import { writeJson } from "../store/json";
import type { CustomersTable, Database } from "../store/schema";
import { type Customer, storedSubscriptions, toCustomer } from "./customer";
import type { CustomerWriter, StoredEvent } from "./writer";

/** Customer rows as written; shared by both writers. */
export function customerRow(businessId: string, c: Customer): CustomersTable {
  return {
    business_id: businessId,
    id: c.id,
    user_id: c.userId,
    email: c.email,
    phone: c.phone,
    timezone: c.timezone,
    locale: c.locale,
    attributes: writeJson(c.attributes),
    subscriptions: writeJson(storedSubscriptions(c)),
    addresses: writeJson(c.addresses),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

/**
 * PostgreSQL: creating customers takes turns per business until the transaction ends (a
 * transaction-scoped advisory lock), so counts for the plan limit and "nobody has this userId
 * yet" stay true while the transaction acts on them.
 */
export async function lockCustomerCreation(db: Kysely<Database>, businessId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`customers:${businessId}`}, 0))`.execute(db);
}

/**
 * The CustomerWriter over Kysely: PostgreSQL's, and the reference for SQLite's fast one.
 *
 * Every customer it reads is locked (`FOR UPDATE`) until the transaction ends. Many processes
 * write one business at once on PostgreSQL: without the lock, two events of one customer in two
 * transactions each counted only their own hit, and "at least twice" joined neither. With it,
 * the second waits for the first to commit, then reads its row, hits and memberships.
 */
export function kyselyWriter(db: Kysely<Database>, businessId: string): CustomerWriter {
  const customers = () =>
    db.selectFrom("customers").selectAll().where("business_id", "=", businessId).forUpdate();
  const one = async (q: ReturnType<typeof customers>) => {
    const row = await q.executeTakeFirst();
    return row ? toCustomer(row) : null;
  };
  return {
    businessId,
    customerById: (id) => one(customers().where("id", "=", id)),
    customerByUserId: (userId) => one(customers().where("user_id", "=", userId)),
    customerByEmail: (email) => one(customers().where("email", "=", email)),
    async customerByAlias(anonymousId) {
      const alias = await db
        .selectFrom("customer_aliases")
        .select("customer_id")
        .where("business_id", "=", businessId)
        .where("anonymous_id", "=", anonymousId)
        .executeTakeFirst();
      return alias ? one(customers().where("id", "=", alias.customer_id)) : null;
    },
    async insertCustomer(c) {
      await db.insertInto("customers").values(customerRow(businessId, c)).execute();
    },
    async updateCustomer(c) {
      const { business_id, id, ...rest } = customerRow(businessId, c);
      await db
        .updateTable("customers")
        .set(rest)
        .where("business_id", "=", business_id)
        .where("id", "=", id)
        .execute();
    },
    async deleteCustomer(id) {
      for (const table of ["customer_aliases", "event_hits", "segment_members"] as const) {
        await db
          .deleteFrom(table)
          .where("business_id", "=", businessId)
          .where("customer_id", "=", id)
          .execute();
      }
      await db.deleteFrom("customers").where("business_id", "=", businessId).where("id", "=", id).execute();
    },
    async addAlias(anonymousId, customerId, at) {
      await db
        .insertInto("customer_aliases")
        .values({
          business_id: businessId,
          anonymous_id: anonymousId,
          customer_id: customerId,
          created_at: at,
        })
        .onConflict((oc) =>
          oc.columns(["business_id", "anonymous_id"]).doUpdateSet({ customer_id: customerId }),
        )
        .execute();
    },
    async moveCustomerData(fromId, intoId) {
      for (const table of ["events", "event_hits", "customer_aliases"] as const) {
        await db
          .updateTable(table)
          .set({ customer_id: intoId })
          .where("business_id", "=", businessId)
          .where("customer_id", "=", fromId)
          .execute();
      }
    },
    async hasMessage(messageId) {
      const row = await db
        .selectFrom("events")
        .select("id")
        .where("business_id", "=", businessId)
        .where("message_id", "=", messageId)
        .executeTakeFirst();
      return row !== undefined;
    },
    async insertEvent(e: StoredEvent) {
      const result = await db
        .insertInto("events")
        .values({
          business_id: businessId,
          id: e.id,
          customer_id: e.customerId,
          type: e.type,
          name: e.name,
          properties: writeJson(e.properties),
          context: e.context === null ? null : writeJson(e.context),
          timestamp: e.timestamp,
          received_at: e.receivedAt,
          message_id: e.messageId,
        })
        .onConflict((oc) => oc.columns(["business_id", "message_id"]).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
    async insertHit(customerId, counter, timestamp, eventId) {
      await db
        .insertInto("event_hits")
        .values({ business_id: businessId, customer_id: customerId, counter, timestamp, event_id: eventId })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async countHits(customerId, counter, sinces, cap) {
      const bounds = sinces.map((since) => since ?? Number.MIN_SAFE_INTEGER);
      // The newest `cap` hits of the widest window: each narrower window's hits are the newest.
      const newest = db
        .selectFrom("event_hits")
        .select("timestamp")
        .where("business_id", "=", businessId)
        .where("customer_id", "=", customerId)
        .where("counter", "=", counter)
        .where("timestamp", ">=", Math.min(...bounds))
        .orderBy("timestamp", "desc")
        .limit(cap)
        .as("h");
      const row = (await db
        .selectFrom(newest)
        .select(
          bounds.map((bound, i) =>
            sql<number>`coalesce(sum(case when timestamp >= ${bound} then 1 else 0 end), 0)`.as(`w${i}`),
          ),
        )
        .executeTakeFirstOrThrow()) as Record<string, unknown>;
      return bounds.map((_, i) => Number(row[`w${i}`]));
    },
    async memberships(customerId) {
      const rows = await db
        .selectFrom("segment_members")
        .select("segment_id")
        .where("business_id", "=", businessId)
        .where("customer_id", "=", customerId)
        .execute();
      return new Set(rows.map((r) => r.segment_id));
    },
    async join(segmentId, customerId, at) {
      await db
        .insertInto("segment_members")
        .values({ business_id: businessId, segment_id: segmentId, customer_id: customerId, since: at })
        .execute();
      await db
        .insertInto("membership_events")
        .values({
          business_id: businessId,
          segment_id: segmentId,
          customer_id: customerId,
          change: "joined",
          at,
        })
        .execute();
    },
    async leave(segmentId, customerId, at) {
      await db
        .deleteFrom("segment_members")
        .where("business_id", "=", businessId)
        .where("segment_id", "=", segmentId)
        .where("customer_id", "=", customerId)
        .execute();
      await db
        .insertInto("membership_events")
        .values({
          business_id: businessId,
          segment_id: segmentId,
          customer_id: customerId,
          change: "left",
          at,
        })
        .execute();
    },
    async purgeEnrollmentTrail(customerId) {
      const result = await db
        .deleteFrom("enrollment_trail")
        .where("business_id", "=", businessId)
        .where("enrollment_id", "in", (eb) =>
          eb
            .selectFrom("enrollments")
            .select("id")
            .where("business_id", "=", businessId)
            .where("customer_id", "=", customerId),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async purgeCustomerRows(table, customerId) {
      const result =
        await sql`delete from ${sql.table(table)} where business_id = ${businessId} and customer_id = ${customerId}`.execute(
          db,
        );
      return Number(result.numAffectedRows ?? 0n);
    },
    async suppress(identityHash, at) {
      await db
        .insertInto("suppressions")
        .values({ business_id: businessId, identity_hash: identityHash, created_at: at })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async enqueueWork(work) {
      await db
        .insertInto("engine_work")
        .values({
          business_id: businessId,
          kind: work.kind,
          journey_id: work.journeyId,
          customer_id: work.customerId,
          enrollment_id: null,
          run_at: work.runAt,
          payload: writeJson(work.payload),
          created_at: work.runAt,
        })
        .execute();
    },
    async isSuppressed(identityHash) {
      const row = await db
        .selectFrom("suppressions")
        .select("identity_hash")
        .where("business_id", "=", businessId)
        .where("identity_hash", "=", identityHash)
        .executeTakeFirst();
      return row !== undefined;
    },
    async customerCount() {
      // Creating customers takes turns per business across processes: the count stays true
      // until this transaction ends, so two cannot both take the plan's last slot.
      await lockCustomerCreation(db, businessId);
      const row = await db
        .selectFrom("customers")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("business_id", "=", businessId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
