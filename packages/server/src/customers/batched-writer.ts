import { type Kysely, sql } from "kysely";
import type { Database } from "../store/schema";
import { type PendingWrites, writePending } from "./batched-flush";
import { type Customer, toCustomer } from "./customer";
import { kyselyWriter, lockCustomerCreation } from "./kysely-writer";
import type { CustomerWriter, ReadAhead, StoredEvent } from "./writer";

/** What this transaction has read of one customer (its row is locked until the end). */
interface Held {
  customer: Customer;
  /** Segment ids as this transaction sees them now; null until read. */
  members: Set<string> | null;
  /** The members as stored (before this transaction's joins and leaves). */
  storedMembers: Set<string> | null;
  /** Counter → the newest stored hit timestamps (descending), at most `cap` of them. */
  storedHits: Map<string, { newest: number[]; cap: number }>;
  /** The identity its stored row has; null while it is created in this transaction and not stored yet. */
  storedIdentity: { userId: string | null; email: string | null } | null;
}

/**
 * The CustomerWriter for ingestion on PostgreSQL: a group of messages costs a dozen round trips
 * instead of ten per message. `readAhead` reads, in a few set queries, what the group will ask
 * for (its message ids, its customers — locked `FOR UPDATE` as kyselyWriter locks them — their
 * memberships and their newest hits of every counter); the appends (events, hits, membership
 * changes and log rows, engine work, new customers and profile changes) wait in memory and
 * `flush` writes each table with one statement (batched-flush.ts). Reads see this transaction's
 * own writes: the held state is updated as it writes. A change of a stored customer's userId
 * or email, and aliases, are written at once, so the unique indexes judge them in order.
 *
 * A message id another transaction stored after `readAhead` makes `flush` throw MessageIdRace:
 * the group rolls back and is retried, and the retry reports those messages as duplicates.
 * Anything rare (a merge, an erase) flushes first and forgets what it holds, then runs as
 * kyselyWriter does.
 */
export function batchedWriter(db: Kysely<Database>, businessId: string) {
  const direct = kyselyWriter(db, businessId);
  const held = new Map<string, Held>();
  const idByUserId = new Map<string, string | null>();
  const idByEmail = new Map<string, string | null>();
  const idByAlias = new Map<string, string | null>();
  const storedMessages = new Set<string>();
  const lookedUpMessages = new Set<string>();
  /** Suppressed identity hashes, and those already asked about. */
  const suppressed = new Set<string>();
  const lookedUpHashes = new Set<string>();

  let events: StoredEvent[] = [];
  let hits: { customerId: string; counter: string; timestamp: number; eventId: string }[] = [];
  let bufferedHits = new Map<string, number[]>();
  let membershipLog: { segmentId: string; customerId: string; change: "joined" | "left"; at: number }[] = [];
  let joinedAt = new Map<string, number>();
  let work: PendingWrites["work"] = [];
  /** Customer rows to write: new ones, and changes that keep the stored userId and email. */
  let customers = new Map<string, { customer: Customer; insert: boolean }>();

  const hitKey = (customerId: string, counter: string) => `${customerId}\u0000${counter}`;

  const hold = (customer: Customer, fresh = false): Customer => {
    const known = held.get(customer.id);
    if (known) return known.customer;
    held.set(customer.id, {
      customer,
      members: fresh ? new Set() : null,
      storedMembers: fresh ? new Set() : null,
      storedHits: new Map(),
      storedIdentity: fresh ? null : { userId: customer.userId, email: customer.email },
    });
    if (customer.userId !== null) idByUserId.set(customer.userId, customer.id);
    if (customer.email !== null) idByEmail.set(customer.email, customer.id);
    return customer;
  };
  const heldCustomer = (id: string | null | undefined) =>
    id === null || id === undefined ? null : (held.get(id)?.customer ?? null);

  /** Forgets every read, so the next ones go to the store (after a rare write moved rows). */
  const forget = () => {
    held.clear();
    idByUserId.clear();
    idByEmail.clear();
    idByAlias.clear();
  };

  const aliasesOf = (anonymousIds: string[]) =>
    db
      .selectFrom("customer_aliases")
      .select(["anonymous_id", "customer_id"])
      .where("business_id", "=", businessId)
      .where("anonymous_id", "=", sql<string>`any(${anonymousIds}::text[])`)
      .execute();

  /**
   * Whether some userId, email or anonymousId names nobody yet (read without locking anything):
   * then the group may create a customer.
   */
  const mayCreateCustomers = async (userIds: string[], emails: string[], anonymousIds: string[]) => {
    for (const [column, values] of [
      ["user_id", userIds],
      ["email", emails],
    ] as const) {
      if (values.length === 0) continue;
      const known = await db
        .selectFrom("customers")
        .select(column)
        .where("business_id", "=", businessId)
        .where(column, "=", sql<string>`any(${values}::text[])`)
        .execute();
      if (known.length < new Set(values).size) return true;
    }
    return anonymousIds.length > 0 && (await aliasesOf(anonymousIds)).length < new Set(anonymousIds).size;
  };

  const loadMembers = async (h: Held): Promise<Set<string>> => {
    if (h.members) return h.members;
    const stored = await direct.memberships(h.customer.id);
    h.storedMembers = stored;
    h.members = new Set(stored);
    return h.members;
  };

  async function flush(): Promise<void> {
    // Members: only the net change of each (segment, customer) this transaction touched.
    const addedMembers: PendingWrites["addedMembers"] = [];
    const removedMembers: PendingWrites["removedMembers"] = [];
    for (const key of new Set(membershipLog.map((m) => `${m.segmentId}\u0000${m.customerId}`))) {
      const [segment, customer] = key.split("\u0000") as [string, string];
      const h = held.get(customer);
      if (!h?.members || !h.storedMembers) throw new Error("a membership changed for a customer not held");
      const since = joinedAt.get(key);
      if (h.members.has(segment) && since !== undefined) addedMembers.push({ segment, customer, since });
      else if (!h.members.has(segment) && h.storedMembers.has(segment))
        removedMembers.push({ segment, customer });
    }
    await writePending(db, businessId, {
      customers: [...customers.values()],
      events,
      hits,
      removedMembers,
      addedMembers,
      membershipLog,
      work,
    });
    // What was written is stored now.
    for (const e of events) storedMessages.add(e.messageId);
    for (const h of held.values()) {
      if (h.members) h.storedMembers = new Set(h.members);
      for (const [counter, stored] of h.storedHits) {
        const extra = bufferedHits.get(hitKey(h.customer.id, counter));
        if (extra) stored.newest = [...stored.newest, ...extra].sort((a, b) => b - a).slice(0, stored.cap);
      }
      h.storedIdentity = { userId: h.customer.userId, email: h.customer.email };
    }
    customers = new Map();
    events = [];
    hits = [];
    bufferedHits = new Map();
    membershipLog = [];
    joinedAt = new Map();
    work = [];
  }

  /** A rare write: the buffered appends go first, and what is held may be stale after it. */
  const rare =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await flush();
      forget();
      return fn(...args);
    };

  const writer: CustomerWriter & { flush(): Promise<void> } = {
    businessId,

    async readAhead(ahead: ReadAhead) {
      if (ahead.messageIds.length > 0) {
        const rows = await db
          .selectFrom("events")
          .select("message_id")
          .where("business_id", "=", businessId)
          .where("message_id", "=", sql<string>`any(${ahead.messageIds}::text[])`)
          .execute();
        for (const row of rows) storedMessages.add(row.message_id);
        for (const id of ahead.messageIds) lookedUpMessages.add(id);
      }
      const hashes = ahead.identityHashes.filter((h) => !lookedUpHashes.has(h));
      if (hashes.length > 0) {
        const rows = await db
          .selectFrom("suppressions")
          .select("identity_hash")
          .where("business_id", "=", businessId)
          .where("identity_hash", "=", sql<string>`any(${hashes}::text[])`)
          .execute();
        for (const row of rows) suppressed.add(row.identity_hash);
        for (const h of hashes) lookedUpHashes.add(h);
      }
      const lockCustomers = async (column: "user_id" | "email" | "id", values: string[]) => {
        if (values.length === 0) return [];
        const rows = await db
          .selectFrom("customers")
          .selectAll()
          .where("business_id", "=", businessId)
          .where(column, "=", sql<string>`any(${values}::text[])`)
          .orderBy("id")
          .forUpdate()
          .execute();
        return rows.map((row) => hold(toCustomer(row)));
      };
      const userIds = ahead.userIds.filter((u) => !idByUserId.has(u));
      const emails = ahead.emails.filter((e) => !idByEmail.has(e));
      const anonymousIds = ahead.anonymousIds.filter((a) => !idByAlias.has(a));
      if (await mayCreateCustomers(userIds, emails, anonymousIds)) {
        // Groups that may create customers take turns per business, before they lock any row:
        // two processes that both found no "u1" both created it, and one failed on the unique
        // index. It is the lock the plan limit's count takes (one lock, whatever the group).
        await lockCustomerCreation(db, businessId);
      }
      await lockCustomers("user_id", userIds);
      for (const u of userIds) if (!idByUserId.has(u)) idByUserId.set(u, null);
      await lockCustomers("email", emails);
      for (const e of emails) if (!idByEmail.has(e)) idByEmail.set(e, null);
      if (anonymousIds.length > 0) {
        const aliases = await aliasesOf(anonymousIds);
        for (const a of anonymousIds) idByAlias.set(a, null);
        for (const a of aliases) idByAlias.set(a.anonymous_id, a.customer_id);
        await lockCustomers(
          "id",
          [...new Set(aliases.map((a) => a.customer_id))].filter((id) => !held.has(id)),
        );
      }

      const unread = [...held.values()].filter((h) => h.members === null);
      if (unread.length === 0) return;
      const ids = unread.map((h) => h.customer.id);
      const members = await db
        .selectFrom("segment_members")
        .select(["customer_id", "segment_id"])
        .where("business_id", "=", businessId)
        .where("customer_id", "=", sql<string>`any(${ids}::text[])`)
        .execute();
      for (const h of unread) h.storedMembers = new Set();
      for (const m of members) held.get(m.customer_id)?.storedMembers?.add(m.segment_id);
      for (const h of unread) h.members = new Set(h.storedMembers);

      const pairs = unread.flatMap((h) =>
        [...ahead.counterCaps].map(([counter, cap]) => ({ customer: h.customer.id, counter, cap })),
      );
      if (pairs.length === 0) return;
      const col = <K extends keyof (typeof pairs)[number]>(key: K) => pairs.map((p) => p[key]);
      // The newest `cap` hits of each (customer, counter): one index range scan each.
      const newest = await sql<{ customer_id: string; counter: string; timestamp: string | number }>`
        select p.customer_id, p.counter, h.timestamp
        from unnest(${col("customer")}::text[], ${col("counter")}::text[], ${col("cap")}::int[]) as p(customer_id, counter, cap)
        cross join lateral (
          select timestamp from event_hits
          where business_id = ${businessId} and customer_id = p.customer_id and counter = p.counter
          order by timestamp desc limit p.cap) h`.execute(db);
      for (const p of pairs) held.get(p.customer)!.storedHits.set(p.counter, { newest: [], cap: p.cap });
      for (const row of newest.rows)
        held.get(row.customer_id)!.storedHits.get(row.counter)!.newest.push(Number(row.timestamp));
    },

    async customerById(id) {
      return heldCustomer(id) ?? (await direct.customerById(id).then((c) => c && hold(c)));
    },
    async customerByUserId(userId) {
      if (idByUserId.has(userId)) return heldCustomer(idByUserId.get(userId));
      const c = await direct.customerByUserId(userId);
      idByUserId.set(userId, c?.id ?? null);
      return c && hold(c);
    },
    async customerByEmail(email) {
      if (idByEmail.has(email)) return heldCustomer(idByEmail.get(email));
      const c = await direct.customerByEmail(email);
      // A held customer's email may have changed in this transaction: the held copy is current.
      const current = c && hold(c);
      return current && current.email === email ? current : null;
    },
    async customerByAlias(anonymousId) {
      if (idByAlias.has(anonymousId)) return writer.customerById(idByAlias.get(anonymousId) ?? "");
      const c = await direct.customerByAlias(anonymousId);
      idByAlias.set(anonymousId, c?.id ?? null);
      return c && hold(c);
    },
    async insertCustomer(c) {
      hold(c, true);
      customers.set(c.id, { customer: c, insert: true });
    },
    async updateCustomer(c) {
      const h = held.get(c.id);
      if (!h) {
        await direct.updateCustomer(c);
        hold(c);
        return;
      }
      if (h.customer.userId !== null && h.customer.userId !== c.userId)
        idByUserId.set(h.customer.userId, null);
      if (h.customer.email !== null && h.customer.email !== c.email) idByEmail.set(h.customer.email, null);
      if (c.userId !== null) idByUserId.set(c.userId, c.id);
      if (c.email !== null) idByEmail.set(c.email, c.id);
      h.customer = c;
      const stored = h.storedIdentity;
      if (stored === null) customers.set(c.id, { customer: c, insert: true });
      else if (stored.userId === c.userId && stored.email === c.email)
        customers.set(c.id, { customer: c, insert: false });
      else {
        // A new userId or email is written at once, in order, so the unique indexes judge
        // the changes as they happened.
        customers.delete(c.id);
        await direct.updateCustomer(c);
        h.storedIdentity = { userId: c.userId, email: c.email };
      }
    },
    async addAlias(anonymousId, customerId, at) {
      await direct.addAlias(anonymousId, customerId, at);
      idByAlias.set(anonymousId, customerId);
    },
    deleteCustomer: rare(direct.deleteCustomer),
    moveCustomerData: rare(direct.moveCustomerData),
    purgeEnrollmentTrail: rare(direct.purgeEnrollmentTrail),
    purgeCustomerRows: rare(direct.purgeCustomerRows),

    async hasMessage(messageId) {
      if (storedMessages.has(messageId)) return true;
      if (lookedUpMessages.has(messageId)) return false;
      return direct.hasMessage(messageId);
    },
    async insertEvent(e) {
      if (!e.generatedMessageId && (await writer.hasMessage(e.messageId))) return false;
      storedMessages.add(e.messageId);
      lookedUpMessages.add(e.messageId);
      events.push(e);
      return true;
    },
    async insertHit(customerId, counter, timestamp, eventId) {
      hits.push({ customerId, counter, timestamp, eventId });
      const key = hitKey(customerId, counter);
      const list = bufferedHits.get(key);
      if (list) list.push(timestamp);
      else bufferedHits.set(key, [timestamp]);
    },
    async countHits(customerId, counter, sinces, cap) {
      const h = held.get(customerId);
      const read = h?.storedHits.get(counter);
      // Read ahead and enough for this cap (or every stored hit): no query.
      let stored =
        h && h.storedIdentity === null
          ? []
          : read && (read.cap >= cap || read.newest.length < read.cap)
            ? read.newest
            : undefined;
      if (stored === undefined) {
        const rows = await db
          .selectFrom("event_hits")
          .select("timestamp")
          .where("business_id", "=", businessId)
          .where("customer_id", "=", customerId)
          .where("counter", "=", counter)
          .orderBy("timestamp", "desc")
          .limit(cap)
          .execute();
        stored = rows.map((r) => Number(r.timestamp));
        h?.storedHits.set(counter, { newest: stored, cap });
      }
      // What is stored, plus this transaction's own hits.
      const mine = bufferedHits.get(hitKey(customerId, counter)) ?? [];
      const newest = [...stored, ...mine].sort((a, b) => b - a).slice(0, cap);
      return sinces.map((since) =>
        since === null ? newest.length : newest.filter((t) => t >= since).length,
      );
    },
    async memberships(customerId) {
      await writer.customerById(customerId);
      const h = held.get(customerId);
      return new Set(h ? await loadMembers(h) : await direct.memberships(customerId));
    },
    async join(segmentId, customerId, at) {
      const members = await loadMembers(await heldOrThrow(customerId));
      if (members.has(segmentId)) throw new Error(`${customerId} is already in ${segmentId}`);
      members.add(segmentId);
      joinedAt.set(`${segmentId}\u0000${customerId}`, at);
      membershipLog.push({ segmentId, customerId, change: "joined", at });
    },
    async leave(segmentId, customerId, at) {
      const members = await loadMembers(await heldOrThrow(customerId));
      members.delete(segmentId);
      joinedAt.delete(`${segmentId}\u0000${customerId}`);
      membershipLog.push({ segmentId, customerId, change: "left", at });
    },
    async enqueueWork(w) {
      work.push(w);
    },
    async isSuppressed(hash) {
      if (suppressed.has(hash)) return true;
      return lookedUpHashes.has(hash) ? false : direct.isSuppressed(hash);
    },
    async suppress(hash, at) {
      await direct.suppress(hash, at);
      suppressed.add(hash);
    },
    async customerCount() {
      const pending = [...customers.values()].filter((c) => c.insert).length;
      return (await direct.customerCount()) + pending;
    },
    flush,
  };

  async function heldOrThrow(customerId: string): Promise<Held> {
    await writer.customerById(customerId);
    const h = held.get(customerId);
    if (!h) throw new Error(`customer ${customerId} not found`);
    return h;
  }
  return writer;
}
