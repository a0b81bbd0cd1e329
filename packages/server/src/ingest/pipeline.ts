import { affectedSegments, eventMatches } from "@journeys/core";
import type { Business } from "../accounts/businesses";
import type { Customer } from "../customers/customer";
import { applyProfilePatch, blankCustomer, normalisePhone, type ProfileChange } from "../customers/profile";
import { CustomerAllowance } from "../customers/save-profile";
import { identityHashes } from "../customers/suppression";
import type { CustomerWriter, ReadAhead } from "../customers/writer";
import { type EventTrigger, triggerMatches } from "../engine/triggers";
import { type ErrorKind, JourneysError } from "../errors";
import type { IdGenerator } from "../ids";
import type { SegmentCatalog } from "../segments/catalog";
import { counterCaps, reevaluateCustomer } from "../segments/membership";
import type { IngestMessage } from "./messages";
import { traitsToPatch } from "./traits";

/** What happened to one message of a call. */
export type MessageOutcome =
  | { status: "accepted"; customerId: string; eventId: string }
  | { status: "duplicate" }
  | { status: "rejected"; kind: ErrorKind; code: string; message: string; details?: unknown };

/**
 * A refusal of one message: it is reported in the call's `rejected` list, nothing else fails.
 * `conflict` (409 for a single-message call) for identities the store already holds, as the API.
 */
const rejection = (code: string, message: string, kind: ErrorKind = "bad_request") =>
  new JourneysError(kind, code, message);

export interface PipelineContext {
  business: Business;
  catalog: SegmentCatalog;
  /** Active event-triggered journeys by event name. */
  eventTriggers: ReadonlyMap<string, readonly EventTrigger[]>;
  newId: IdGenerator;
  now: number;
}

/**
 * Applies messages in order, inside the writer's transaction: de-duplicate by messageId,
 * resolve (or create, or merge) the customer, apply identify traits, append the event, bump
 * the event counters segment rules read, and re-evaluate just the segments the change can
 * affect — writing joined/left membership events. A rejected message changes nothing.
 */
export async function applyMessages(
  w: CustomerWriter,
  ctx: PipelineContext,
  messages: readonly IngestMessage[],
): Promise<MessageOutcome[]> {
  const allowance = new CustomerAllowance(w, ctx.business.plan);
  const outcomes: MessageOutcome[] = [];
  for (const message of messages) {
    try {
      if (message.messageId !== null && (await w.hasMessage(message.messageId))) {
        outcomes.push({ status: "duplicate" });
        continue;
      }
      outcomes.push(await applyOne(w, ctx, message, () => allowance.reserve()));
    } catch (error) {
      // A message-level refusal (bad trait, plan limit, erased person) rejects this message only.
      if (!(error instanceof JourneysError)) throw error;
      outcomes.push({
        status: "rejected",
        kind: error.kind,
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      });
    }
  }
  return outcomes;
}

/** What applying `messages` will read: ids, identities and counters (see ReadAhead). */
export function readAheadOf(messages: readonly IngestMessage[], catalog: SegmentCatalog): ReadAhead {
  const ids = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))];
  const identities = messages.map(newIdentity);
  return {
    messageIds: ids(messages.map((m) => m.messageId)),
    // alias(previousId → userId) also looks previousId up as a userId.
    userIds: ids(messages.flatMap((m) => [m.userId, m.type === "alias" ? m.previousId : null])),
    anonymousIds: ids(messages.map((m) => (m.type === "alias" ? m.previousId : m.anonymousId))),
    emails: ids(identities.map((identity) => identity.email)),
    identityHashes: ids(identities.flatMap((identity) => identityHashes(catalog.businessId, identity))),
    counterCaps: counterCaps(catalog),
  };
}

async function applyOne(
  w: CustomerWriter,
  ctx: PipelineContext,
  message: IngestMessage,
  reserveNewCustomer: () => Promise<void>,
): Promise<MessageOutcome> {
  const { now } = ctx;
  const change: ProfileChange = { attributes: new Set(), subscriptions: new Set() };
  let patched: Customer | null = null;
  // Identify traits are checked against the profile the message resolves to before resolution
  // writes anything (a new customer, an alias, a merge): a rejected message changes nothing.
  const resolved = await resolveCustomer(w, ctx, message, reserveNewCustomer, async (target, mergedAway) => {
    if (message.type !== "identify") return;
    const applied = applyProfilePatch(target, traitsToPatch(message), now);
    if ("problems" in applied) {
      const first = applied.problems[0]!;
      throw rejection(first.code, applied.problems.map((p) => p.message).join("; "));
    }
    if (applied.customer.email && applied.customer.email !== target.email) {
      const owner = await w.customerByEmail(applied.customer.email);
      if (owner && owner.id !== target.id && owner.id !== mergedAway) {
        throw rejection(
          "email_taken",
          `email ${applied.customer.email} belongs to another customer (${owner.id})`,
          "conflict",
        );
      }
    }
    patched = applied.customer;
    for (const name of applied.change.attributes) change.attributes.add(name);
    for (const channel of applied.change.subscriptions) change.subscriptions.add(channel);
  });
  const customer: Customer = patched ?? resolved.customer;

  if (!resolved.persisted) await w.insertCustomer(customer);
  else if (customer !== resolved.customer || resolved.dirty) await w.updateCustomer(customer);

  const eventId = ctx.newId("evt");
  const inserted = await w.insertEvent({
    id: eventId,
    customerId: customer.id,
    type: message.type,
    name: message.name,
    properties: eventProperties(message),
    context: message.context,
    timestamp: message.timestamp,
    receivedAt: now,
    messageId: message.messageId ?? `gen_${eventId}`,
    generatedMessageId: message.messageId === null,
  });
  if (!inserted) return { status: "duplicate" };

  const events: string[] = [];
  if (message.type === "track" && message.name !== null) {
    // Event-triggered journeys: the entry is queued in this same transaction.
    for (const trigger of ctx.eventTriggers.get(message.name) ?? []) {
      if (triggerMatches(trigger, message.name, message.properties)) {
        await w.enqueueWork({
          kind: "enter",
          journeyId: trigger.journeyId,
          customerId: customer.id,
          runAt: now,
          payload: message.properties,
        });
      }
    }
    for (const counter of ctx.catalog.countersByEvent.get(message.name) ?? []) {
      if (eventMatches(counter.selector, { name: message.name, properties: message.properties })) {
        await w.insertHit(customer.id, counter.id, message.timestamp, eventId);
        events.push(message.name);
      }
    }
  }

  const segmentIds = resolved.evaluateAll
    ? ctx.catalog.index.order
    : affectedSegments(ctx.catalog.index, {
        attributes: change.attributes,
        subscriptions: change.subscriptions,
        events,
      });
  await reevaluateCustomer(w, ctx.catalog, customer, segmentIds, now, ctx.business.settings.emailOptOut);
  return { status: "accepted", customerId: customer.id, eventId };
}

/**
 * What an event row keeps of a message besides its name: identify its traits, group the group
 * id with the group's traits, alias the id it linked; track, page and screen their properties.
 */
function eventProperties(message: IngestMessage): Record<string, unknown> {
  switch (message.type) {
    case "identify":
      return message.traits;
    case "group":
      return { groupId: message.groupId, traits: message.traits };
    case "alias":
      return { previousId: message.previousId };
    default:
      return message.properties;
  }
}

interface Resolved {
  customer: Customer;
  /** The row exists in the store (false for a customer this message creates). */
  persisted: boolean;
  /** New, or another profile was merged into it: every segment needs a look. */
  evaluateAll: boolean;
  /** Changed by resolution itself (e.g. userId set on an anonymous profile). */
  dirty: boolean;
}

/**
 * Checks a message against the profile it resolves to (merged, if it merges), before anything
 * is written; throws a rejection. `mergedAway` is the id of a profile the merge will delete.
 */
type BeforeWrites = (target: Customer, mergedAway: string | null) => Promise<void>;

/**
 * Who a message is about. userId wins; an anonymousId seen before points at its profile.
 * When a known anonymous profile identifies as a userId:
 * - nobody has that userId yet: the anonymous profile takes it;
 * - another profile has it: the anonymous one (if it has no userId of its own) merges into it.
 * alias(previousId → userId) links previousId to userId's profile:
 * - previousId is an anonymous id or userId of another profile: that profile merges into it;
 * - previousId names nobody yet: it becomes an alias of userId's profile (created if needed),
 *   so later messages from previousId reach it;
 * - previousId is a userId and userId names nobody: the profile is renamed to userId.
 * Every read comes first, then `beforeWrites`, then the writes (new customer, alias, merge).
 */
async function resolveCustomer(
  w: CustomerWriter,
  ctx: PipelineContext,
  message: IngestMessage,
  reserveNewCustomer: () => Promise<void>,
  beforeWrites: BeforeWrites,
): Promise<Resolved> {
  const { now } = ctx;
  const userId = message.userId;
  const alias = message.type === "alias";
  const anonymousId = alias ? message.previousId : message.anonymousId;
  const byUser = userId ? await w.customerByUserId(userId) : null;
  const byAnonymous = anonymousId ? await w.customerByAlias(anonymousId) : null;
  const byAlias = byAnonymous ?? (alias && anonymousId ? await w.customerByUserId(anonymousId) : null);
  // alias(previousId → userId) where previousId is a userId (not an anonymous id).
  const previousIsUser = alias && byAnonymous === null && byAlias !== null;

  let result: Resolved;
  let mergeFrom: Customer | null = null;
  if (byUser && byAlias && byAlias.id !== byUser.id) {
    if (byAlias.userId === null || alias) {
      mergeFrom = byAlias;
      result = { customer: merged(byAlias, byUser, now), persisted: true, evaluateAll: true, dirty: false };
    } else {
      result = { customer: byUser, persisted: true, evaluateAll: false, dirty: false };
    }
  } else if (byUser) {
    result = { customer: byUser, persisted: true, evaluateAll: false, dirty: false };
  } else if (byAlias && (byAlias.userId === null || userId === null || previousIsUser)) {
    const customer = userId ? { ...byAlias, userId, updatedAt: now } : byAlias;
    // Taking a userId can change segments that read it.
    result = { customer, persisted: true, evaluateAll: userId !== null, dirty: userId !== null };
  } else {
    for (const hash of identityHashes(w.businessId, newIdentity(message))) {
      if (await w.isSuppressed(hash)) {
        throw rejection(
          "customer_erased",
          "this person was erased at their request; they are not re-added from events",
          "conflict",
        );
      }
    }
    const customer = { ...blankCustomer(ctx.newId("cus"), now), userId };
    await beforeWrites(customer, null);
    await reserveNewCustomer();
    result = { customer, persisted: false, evaluateAll: true, dirty: false };
  }
  if (result.persisted) await beforeWrites(result.customer, mergeFrom?.id ?? null);

  if (mergeFrom) await merge(w, mergeFrom, result.customer, now);
  // The anonymous id now points at this profile. A previousId that was a userId gets no alias
  // row: aliases name anonymous ids, and a userId is looked up by itself.
  if (anonymousId && byAnonymous?.id !== result.customer.id && !previousIsUser) {
    // The alias row refers to the customer, so a new one is written first.
    if (!result.persisted) {
      await w.insertCustomer(result.customer);
      result = { ...result, persisted: true };
    }
    await w.addAlias(anonymousId, result.customer.id, now);
  }
  return result;
}

/** Who a message would create, as erasure's suppressions name people (see suppression.ts). */
function newIdentity(message: IngestMessage) {
  const email =
    message.type === "identify" && typeof message.traits.email === "string"
      ? message.traits.email.trim().toLowerCase()
      : null;
  const rawPhone = message.type === "identify" ? message.traits.phone : undefined;
  const normalised = rawPhone === undefined || rawPhone === null ? null : normalisePhone(rawPhone);
  return { userId: message.userId, email, phone: typeof normalised === "string" ? normalised : null };
}

/** `into` as it is after `from` folds into it: `into`'s fields win, `from` fills the gaps. */
function merged(from: Customer, into: Customer, now: number): Customer {
  return {
    ...into,
    attributes: { ...from.attributes, ...into.attributes },
    email: into.email ?? from.email,
    phone: into.phone ?? from.phone,
    timezone: into.timezone ?? from.timezone,
    locale: into.locale ?? from.locale,
    subscriptions: { ...from.subscriptions, ...into.subscriptions },
    updatedAt: now,
  };
}

/** Folds `from` into `into` (already `merged`): events, counters and aliases move; `from`'s memberships end. */
async function merge(w: CustomerWriter, from: Customer, into: Customer, now: number): Promise<void> {
  for (const segmentId of await w.memberships(from.id)) await w.leave(segmentId, from.id, now);
  await w.moveCustomerData(from.id, into.id);
  await w.deleteCustomer(from.id);
  await w.updateCustomer(into);
}
