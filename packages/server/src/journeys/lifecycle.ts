import {
  type ActivationContext,
  type ActivationReport,
  checkLimit,
  type JourneyDefinition,
  type MessageChannel,
  validateForActivation,
} from "@journeys/core";
import { getBusiness } from "../accounts/businesses";
import { toCustomer } from "../customers/customer";
import { JourneysError } from "../errors";
import type { Resources } from "../resources";
import { writeJson } from "../store/json";
import type { Journey } from "./journey";
import { unreceivableReason } from "./receivable";
import { bumpJourneysVersion, getJourney, publishVersion } from "./service";

/**
 * The lifecycle of a journey (DESIGN §1):
 *
 *   draft ──activate──▶ active ──pause──▶ paused ──activate (new run)──▶ active
 *     │                   │                  │
 *     └──────archive──────┴──────archive─────┴──▶ archived (terminal)
 *
 * Activate validates first and answers 422 with every problem. Each activation starts a new
 * run: customers who exited may enter again, once per run. Pause stops new enrollments; those
 * in flight go on and still get their messages. Archive exits everyone in flight (reason
 * `archived`) and cancels their unsent messages.
 */
type Db = Resources["store"]["db"];

const REACH_SAMPLE = 5_000;

/** The columns of `engine_work` that activation and archive fill from a select. */
const WORK_COLUMNS = [
  "business_id",
  "kind",
  "journey_id",
  "customer_id",
  "enrollment_id",
  "run_at",
  "payload",
  "created_at",
] as const;

/** What the store knows that a definition refers to, for `validateForActivation`. */
export async function activationContext(
  r: Resources,
  db: Db,
  businessId: string,
  journeyId: string,
  definition: JourneyDefinition,
): Promise<ActivationContext> {
  const business = await getBusiness({ ...r, store: { ...r.store, db } } as Resources, businessId);
  const [segments, templates, channels, count] = await Promise.all([
    db.selectFrom("segments").select("id").where("business_id", "=", businessId).execute(),
    db
      .selectFrom("templates")
      .select(["id", "channel", "transactional"])
      .where("business_id", "=", businessId)
      .execute(),
    db.selectFrom("channels").select("channel").where("business_id", "=", businessId).execute(),
    db
      .selectFrom("journeys")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("business_id", "=", businessId)
      .where("status", "!=", "archived")
      .where("id", "!=", journeyId)
      .executeTakeFirstOrThrow(),
  ]);
  const verdict = checkLimit(business.plan, "journeys", Number(count.n));
  const context: ActivationContext = {
    // Every stored segment keeps its membership current (write path, sweep, manual edits), so
    // a split can test any of them.
    segments: segments.map((s) => ({ id: s.id, evaluable: true })),
    forms: [],
    templates: templates.map((t) => ({ id: t.id, channel: t.channel as MessageChannel })),
    configuredChannels: channels.map((c) => c.channel as MessageChannel),
    plan: verdict.ok ? { ok: true } : { ok: false, problem: verdict.problem },
  };
  if (definition.trigger.type === "segment") {
    const transactional = new Set(templates.filter((t) => Number(t.transactional) === 1).map((t) => t.id));
    context.reach = await reach(
      db,
      businessId,
      definition,
      definition.trigger.segmentId,
      transactional,
      business.settings.emailOptOut,
    );
  }
  return context;
}

/** Per message node: how many of (a sample of) the entry segment have an address and consent. */
async function reach(
  db: Db,
  businessId: string,
  definition: JourneyDefinition,
  segmentId: string,
  transactional: Set<string>,
  emailOptOut: boolean,
) {
  const rows = await db
    .selectFrom("segment_members")
    .innerJoin("customers", (j) =>
      j
        .onRef("customers.business_id", "=", "segment_members.business_id")
        .onRef("customers.id", "=", "segment_members.customer_id"),
    )
    .selectAll("customers")
    .where("segment_members.business_id", "=", businessId)
    .where("segment_members.segment_id", "=", segmentId)
    .limit(REACH_SAMPLE)
    .execute();
  const customers = rows.map(toCustomer);
  const out: Record<string, { reachable: number; total: number }> = {};
  for (const [nodeId, node] of Object.entries(definition.nodes)) {
    if (node.type !== "message" || customers.length === 0) continue;
    const reachable = customers.filter(
      (c) =>
        unreceivableReason(c, node.channel, {
          transactional: transactional.has(node.templateId),
          emailOptOut,
        }) === null,
    ).length;
    out[nodeId] = { reachable, total: customers.length };
  }
  return out;
}

export async function validateJourney(
  r: Resources,
  businessId: string,
  id: string,
): Promise<ActivationReport> {
  const journey = await getJourney(r, businessId, id);
  const definition = definitionOf(journey);
  return validateForActivation(
    definition,
    await activationContext(r, r.store.db, businessId, id, definition),
  );
}

export async function activateJourney(r: Resources, businessId: string, id: string): Promise<Journey> {
  return r.store.db.transaction().execute(async (trx) => {
    await lockJourney(trx, businessId, id);
    const journey = await getJourney({ store: { db: trx } }, businessId, id);
    if (journey.status === "archived")
      throw new JourneysError("conflict", "journey_archived", "an archived journey cannot be activated");
    if (journey.status === "active") return journey;
    const definition = definitionOf(journey);
    const report = validateForActivation(
      definition,
      await activationContext(r, trx, businessId, id, definition),
    );
    if (report.problems.length > 0) {
      const planProblem = report.problems.find(
        (p) => p.code === "plan_required" || p.code === "plan_limit_reached",
      );
      throw new JourneysError(
        planProblem
          ? planProblem.code === "plan_required"
            ? "forbidden"
            : "payment_required"
          : "unprocessable",
        planProblem ? planProblem.code : "journey_invalid",
        planProblem
          ? planProblem.message
          : `the journey cannot be activated: ${report.problems.length} problem(s)`,
        report,
      );
    }
    const now = r.clock.now();
    const run = journey.run + 1;
    await trx
      .updateTable("journeys")
      .set({ status: "active", run, published_version: journey.version, activated_at: now, updated_at: now })
      .where("business_id", "=", businessId)
      .where("id", "=", id)
      .execute();
    await publishVersion(trx, businessId, id, journey.version, definition, now);
    await bumpJourneysVersion(trx, businessId);
    const trigger = definition.trigger;
    if (trigger.type === "segment") {
      // Customers already in the entry segment enter now.
      await trx
        .insertInto("engine_work")
        .columns(WORK_COLUMNS)
        .expression((eb) =>
          eb
            .selectFrom("segment_members")
            .select((s) => [
              "business_id",
              s.val("enter").as("kind"),
              s.val(id).as("journey_id"),
              "customer_id",
              s.val(null).as("enrollment_id"),
              s.val(now).as("run_at"),
              s.val(null).as("payload"),
              s.val(now).as("created_at"),
            ])
            .where("business_id", "=", businessId)
            .where("segment_id", "=", trigger.segmentId),
        )
        .execute();
    }
    return getJourney({ store: { db: trx } }, businessId, id);
  });
}

export async function pauseJourney(r: Resources, businessId: string, id: string): Promise<Journey> {
  return r.store.db.transaction().execute(async (trx) => {
    await lockJourney(trx, businessId, id);
    const journey = await getJourney({ store: { db: trx } }, businessId, id);
    if (journey.status === "paused") return journey;
    if (journey.status !== "active") {
      throw new JourneysError(
        "conflict",
        "journey_not_active",
        `only an active journey can be paused; this one is ${journey.status}`,
      );
    }
    await trx
      .updateTable("journeys")
      .set({ status: "paused", updated_at: r.clock.now() })
      .where("business_id", "=", businessId)
      .where("id", "=", id)
      .execute();
    await bumpJourneysVersion(trx, businessId);
    return getJourney({ store: { db: trx } }, businessId, id);
  });
}

export async function archiveJourney(r: Resources, businessId: string, id: string): Promise<Journey> {
  return r.store.db.transaction().execute(async (trx) => {
    await lockJourney(trx, businessId, id);
    const journey = await getJourney({ store: { db: trx } }, businessId, id);
    if (journey.status === "archived") return journey;
    const now = r.clock.now();
    await trx
      .updateTable("journeys")
      .set({ status: "archived", archived_at: now, updated_at: now })
      .where("business_id", "=", businessId)
      .where("id", "=", id)
      .execute();
    await bumpJourneysVersion(trx, businessId);
    // Everyone in flight exits (the engine records why); nothing unsent goes out.
    await trx
      .insertInto("engine_work")
      .columns(WORK_COLUMNS)
      .expression((eb) =>
        eb
          .selectFrom("enrollments")
          .select((s) => [
            "business_id",
            s.val("archive").as("kind"),
            "journey_id",
            "customer_id",
            "id",
            s.val(now).as("run_at"),
            s.val(null).as("payload"),
            s.val(now).as("created_at"),
          ])
          .where("business_id", "=", businessId)
          .where("journey_id", "=", id)
          .where("state", "!=", "exited"),
      )
      .execute();
    await trx
      .updateTable("deliveries")
      .set({ status: "skipped", detail: writeJson({ reason: "journey_archived" }), updated_at: now })
      .where("business_id", "=", businessId)
      .where("journey_id", "=", id)
      .where("status", "=", "queued")
      .execute();
    return getJourney({ store: { db: trx } }, businessId, id);
  });
}

function definitionOf(journey: Journey): JourneyDefinition {
  return { schemaVersion: 1, trigger: journey.trigger, start: journey.start, nodes: journey.nodes };
}

/** Serialises lifecycle changes of one journey (PostgreSQL row lock; SQLite has one writer). */
async function lockJourney(db: Db, businessId: string, id: string): Promise<void> {
  await db
    .updateTable("journeys")
    .set((eb) => ({ updated_at: eb.ref("updated_at") }))
    .where("business_id", "=", businessId)
    .where("id", "=", id)
    .execute();
}
