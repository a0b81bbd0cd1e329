import { type Kysely, sql } from "kysely";
import type { Resources } from "../resources";
import { groupCommit } from "../store/group-write";
import { writeJson } from "../store/json";
import type { Database, DeliveriesTable } from "../store/schema";
import { preparedOnce } from "../store/sqlite/prepared";
import type { ClaimedDelivery, Outcome } from "./delivery";

/**
 * Records what became of an attempt, fenced on the attempt number: the update matches only
 * while the delivery is still `sending` under this attempt, so a stale worker (whose lease
 * expired and whose delivery was claimed again) records nothing. In the same transaction the
 * outcome is appended to the enrollment's trail. Resolves to false when the fence was lost.
 * Records of sends finishing close together share one transaction (group commit); on
 * PostgreSQL the group is written with two statements, not three round trips per record.
 *
 * @example await recordOutcome(r, delivery, { status: "sent", messageId: "<dlv_…@shop.example>" })
 */
export async function recordOutcome(r: Resources, d: ClaimedDelivery, outcome: Outcome): Promise<boolean> {
  const now = r.clock.now();
  const next = fallbackDelivery(r, d, outcome, now);
  const record: OutcomeRecord = {
    d,
    now,
    set: outcomeColumns(d, outcome, now),
    trail: d.enrollmentId ? trailEntry(d, outcome, now, next?.channel) : null,
    next,
  };
  return r.store.dialect === "postgres" ? recordTogether(r.store, record) : recordInTurn(r.store, record);
}

/** One outcome to write: the delivery's new columns and, for a journey's delivery, its trail entry. */
interface OutcomeRecord {
  d: ClaimedDelivery;
  now: number;
  set: {
    status: string;
    message_id?: string;
    sent_at?: number;
    next_attempt_at?: number;
    /** Set back by a deferral, which is not an attempt (max attempts count sends). */
    attempts?: number;
    detail: string;
  };
  trail: Record<string, unknown> | null;
  /** The delivery on the next fallback channel, written with the outcome when its fence holds. */
  next: DeliveriesTable | null;
}

/** Outcomes after which a message node's fallback channels are tried: the customer was not reached. */
const FALLS_BACK = new Set([
  "no_email",
  "no_phone",
  "no_telegram_chat",
  "no_push_subscription",
  "no_consent",
  "channel_not_configured",
  "outside_whatsapp_window",
  "permanent",
  "attempts_exhausted",
]);

/**
 * The delivery on the next channel of the message's fallback list, when this outcome means the
 * customer was not reached: queued now, with the rest of the list. Its key extends this one's
 * (`…:welcome>sms`), so a record written twice (a retried group) still makes one.
 */
export function fallbackDelivery(
  r: Resources,
  d: ClaimedDelivery,
  outcome: Outcome,
  now: number,
): DeliveriesTable | null {
  const chain = d.context?.fallback ?? [];
  if (chain.length === 0) return null;
  if (!((outcome.status === "skipped" || outcome.status === "failed") && FALLS_BACK.has(outcome.reason)))
    return null;
  const [next, ...rest] = chain as [
    { channel: string; templateId: string },
    ...Array<{ channel: string; templateId: string }>,
  ];
  return {
    business_id: d.businessId,
    id: r.newId("dlv"),
    delivery_key: `${d.deliveryKey}>${next.channel}`,
    enrollment_id: d.enrollmentId,
    journey_id: d.journeyId,
    node_id: d.nodeId,
    customer_id: d.customerId,
    channel: next.channel,
    template_id: next.templateId,
    context: writeJson({ event: d.context?.event ?? null, ...(rest.length > 0 ? { fallback: rest } : {}) }),
    status: "queued",
    attempts: 0,
    next_attempt_at: now,
    lease_until: null,
    message_id: null,
    detail: null,
    created_at: now,
    updated_at: now,
    sent_at: null,
  };
}

async function insertFallback(db: Kysely<Database>, next: DeliveriesTable): Promise<void> {
  await db
    .insertInto("deliveries")
    .values(next)
    .onConflict((oc) => oc.columns(["business_id", "delivery_key"]).doNothing())
    .execute();
}

function outcomeColumns(d: ClaimedDelivery, outcome: Outcome, now: number): OutcomeRecord["set"] {
  switch (outcome.status) {
    case "sent":
      return { status: "sent", message_id: outcome.messageId, sent_at: now, detail: writeJson(null) };
    case "skipped":
    case "failed":
      return { status: outcome.status, detail: writeJson({ reason: outcome.reason, message: outcome.why }) };
    case "retrying":
      return {
        status: "queued",
        next_attempt_at: outcome.retryAt,
        detail: writeJson({ error: outcome.why }),
      };
    case "deferred":
      return {
        status: "queued",
        next_attempt_at: outcome.until,
        attempts: Math.max(0, d.attempt - 1),
        detail: writeJson({ deferred: outcome.reason, message: outcome.why, until: outcome.until }),
      };
  }
}

/**
 * Outcomes commit unflushed (`Store.unflushedTransaction`): one a power cut undoes leaves its
 * delivery `sending`, and after the lease it is sent again with the same Message-ID — as after
 * a crash between the send and its record. A crash of the process alone loses none.
 */
const UNFLUSHED = { flushed: false };

/** One record on its own (PostgreSQL, a group of one). */
async function recordOne(
  db: Kysely<Database>,
  { d, now, set, trail, next }: OutcomeRecord,
): Promise<boolean> {
  const result = await db
    .updateTable("deliveries")
    .set({ ...set, lease_until: null, updated_at: now })
    .where("business_id", "=", d.businessId)
    .where("id", "=", d.id)
    .where("attempts", "=", d.attempt)
    .where("status", "=", "sending")
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  if (d.enrollmentId && trail) await appendTrail(db, d.businessId, d.enrollmentId, now, trail);
  if (next) await insertFallback(db, next);
  return true;
}

/**
 * SQLite: the group's records through statements prepared once per connection (as the engine's
 * flush), on the group's transaction — the one writer, so no other transaction can take a
 * trail's next seq meanwhile.
 */
const recordInTurn = groupCommit<OutcomeRecord, boolean>(async (db, records, store) => {
  if (store.dialect !== "sqlite") throw new Error("recordInTurn is the SQLite path");
  const st = recordStatements(store.raw);
  const fenced = records.map(({ d, now, set, trail }) => {
    const updated = st.update.run(
      set.status,
      set.message_id ?? null,
      set.sent_at ?? null,
      set.next_attempt_at ?? null,
      set.attempts ?? null,
      set.detail,
      now,
      d.businessId,
      d.id,
      d.attempt,
    );
    if (updated.changes !== 1) return false;
    if (d.enrollmentId && trail) {
      const seq = Number(st.lastSeq.get(d.businessId, d.enrollmentId)) + 1;
      st.trail.run(d.businessId, d.enrollmentId, seq, now, writeJson(trail));
    }
    return true;
  });
  // Fallbacks are rare: written through the same transaction, after the group's records.
  for (const [i, record] of records.entries())
    if (fenced[i] && record.next) await insertFallback(db, record.next);
  return fenced;
}, UNFLUSHED);

const recordStatements = preparedOnce((raw) => ({
  // Fenced on the attempt; a column the outcome does not set keeps its value.
  update: raw.prepare(
    "update deliveries set status = ?, message_id = coalesce(?, message_id), sent_at = coalesce(?, sent_at), next_attempt_at = coalesce(?, next_attempt_at), attempts = coalesce(?, attempts), detail = ?, lease_until = null, updated_at = ? where business_id = ? and id = ? and attempts = ? and status = 'sending'",
  ),
  lastSeq: raw
    .prepare("select coalesce(max(seq), 0) from enrollment_trail where business_id = ? and enrollment_id = ?")
    .pluck(),
  trail: raw.prepare(
    "insert into enrollment_trail (business_id, enrollment_id, seq, at, entry) values (?, ?, ?, ?, ?)",
  ),
}));

/** Another transaction appended to one of these trails meanwhile: the group is written again one by one. */
class TrailRace extends Error {}

/**
 * PostgreSQL: the whole group's fenced updates in one statement, then the trail entries of the
 * deliveries whose fence held in another, each at its enrollment's next seq.
 */
const recordTogether = groupCommit<OutcomeRecord, boolean>(async (db, records) => {
  if (records.length === 1) return [await recordOne(db, records[0]!)];
  const col = <T>(pick: (r: OutcomeRecord) => T) => records.map(pick);
  const updated = await sql<{ business_id: string; id: string }>`
    update deliveries d set status = u.status, message_id = coalesce(u.message_id, d.message_id),
      sent_at = coalesce(u.sent_at, d.sent_at), next_attempt_at = coalesce(u.next_attempt_at, d.next_attempt_at),
      attempts = coalesce(u.set_attempts, d.attempts), detail = u.detail, lease_until = null, updated_at = u.updated_at
    from unnest(${col((r) => r.d.businessId)}::text[], ${col((r) => r.d.id)}::text[], ${col((r) => r.d.attempt)}::integer[],
      ${col((r) => r.set.status)}::text[], ${col((r) => r.set.message_id ?? null)}::text[], ${col((r) => r.set.sent_at ?? null)}::bigint[],
      ${col((r) => r.set.next_attempt_at ?? null)}::bigint[], ${col((r) => r.set.attempts ?? null)}::integer[], ${col((r) => r.set.detail)}::jsonb[], ${col((r) => r.now)}::bigint[])
      as u(business_id, id, attempt, status, message_id, sent_at, next_attempt_at, set_attempts, detail, updated_at)
    where d.business_id = u.business_id and d.id = u.id and d.attempts = u.attempt and d.status = 'sending'
    returning d.business_id, d.id`.execute(db);
  const held = new Set(updated.rows.map((row) => `${row.business_id}\u0000${row.id}`));
  const fenced = records.map((r) => held.has(`${r.d.businessId}\u0000${r.d.id}`));
  const trails = records.filter((r, i) => fenced[i] && r.d.enrollmentId && r.trail);
  if (trails.length > 0) {
    const t = <T>(pick: (r: OutcomeRecord) => T) => trails.map(pick);
    const inserted = await sql`
      insert into enrollment_trail (business_id, enrollment_id, seq, at, entry)
      select u.business_id, u.enrollment_id,
        coalesce((select max(t.seq) from enrollment_trail t where t.business_id = u.business_id and t.enrollment_id = u.enrollment_id), 0)
          + row_number() over (partition by u.business_id, u.enrollment_id order by u.n),
        u.at, u.entry
      from unnest(${t((r) => r.d.businessId)}::text[], ${t((r) => r.d.enrollmentId)}::text[], ${t((r) => r.now)}::bigint[],
        ${t((r) => writeJson(r.trail))}::jsonb[]) with ordinality as u(business_id, enrollment_id, at, entry, n)
      on conflict (business_id, enrollment_id, seq) do nothing`.execute(db);
    if (Number(inserted.numAffectedRows ?? 0n) < trails.length) throw new TrailRace();
  }
  for (const [i, record] of records.entries())
    if (fenced[i] && record.next) await insertFallback(db, record.next);
  return fenced;
}, UNFLUSHED);

/** The trail entry of an outcome, worded for support ("why did (not) she get it?"). */
export function trailEntry(
  d: ClaimedDelivery,
  outcome: Outcome,
  at: number,
  fallbackTo?: string,
): Record<string, unknown> {
  const what = `${d.channel} message "${d.nodeId ?? d.deliveryKey}"`;
  const then = fallbackTo ? ` Trying ${fallbackTo} instead.` : "";
  const base = {
    at,
    nodeId: d.nodeId,
    deliveryId: d.id,
    channel: d.channel,
    attempt: d.attempt,
    ...(fallbackTo ? { fallbackTo } : {}),
  };
  switch (outcome.status) {
    case "sent":
      return {
        type: "sent",
        ...base,
        messageId: outcome.messageId,
        message: `Sent ${what} (${outcome.messageId}).`,
      };
    case "skipped":
      return {
        type: "skipped",
        ...base,
        reason: outcome.reason,
        message: `Skipped ${what}: ${outcome.why}.${then}`,
      };
    case "failed":
      return {
        type: "failed",
        ...base,
        reason: outcome.reason,
        message: `Could not send ${what}: ${outcome.why}.${then}`,
      };
    case "deferred":
      return {
        type: "deferred",
        ...base,
        reason: outcome.reason,
        until: outcome.until,
        message: `Deferred ${what} to ${new Date(outcome.until).toISOString()}: ${outcome.why}.`,
      };
    case "retrying":
      return {
        type: "retrying",
        ...base,
        retryAt: outcome.retryAt,
        message: `Attempt ${d.attempt} of ${what} failed (${outcome.why}); trying again at ${new Date(outcome.retryAt).toISOString()}.`,
      };
  }
}

/**
 * Appends to an enrollment's trail at the next `seq`. The engine appends to the same trail in
 * its own transactions; if both take the same number, the insert does nothing and is retried.
 */
export async function appendTrail(
  db: Kysely<Database>,
  businessId: string,
  enrollmentId: string,
  at: number,
  entry: Record<string, unknown>,
): Promise<void> {
  for (let tries = 0; tries < 10; tries++) {
    const row = await db
      .selectFrom("enrollment_trail")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("business_id", "=", businessId)
      .where("enrollment_id", "=", enrollmentId)
      .executeTakeFirst();
    const seq = Number(row?.seq ?? 0) + 1;
    const inserted = await db
      .insertInto("enrollment_trail")
      .values({ business_id: businessId, enrollment_id: enrollmentId, seq, at, entry: writeJson(entry) })
      .onConflict((oc) => oc.columns(["business_id", "enrollment_id", "seq"]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return;
  }
  throw new Error(`could not append to the trail of enrollment ${enrollmentId}`);
}
