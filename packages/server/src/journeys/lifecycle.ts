import { type ActivationReport, validateForActivation } from "@journeys/core";
import { toClaimedDelivery } from "../dispatcher/delivery";
import { appendTrail, trailEntry } from "../dispatcher/record";
import { JourneysError } from "../errors";
import type { Resources } from "../resources";
import { writeJson } from "../store/json";
import { activationContext, assertActivatable } from "./activation";
import { definitionOf, type Journey } from "./journey";
import { bumpJourneysVersion, getJourney, lockJourney, publishVersion } from "./service";

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

/**
 * Activates a journey (a new run): validates it as a whole, publishes its version and enrolls
 * the entry segment's members. Returns the journey with the lint's warnings (none when it was
 * already active), which do not stop it.
 */
export async function activateJourney(
  r: Resources,
  businessId: string,
  id: string,
): Promise<Journey & { warnings: ActivationReport["warnings"] }> {
  return r.store.db.transaction().execute(async (trx) => {
    await lockJourney(trx, businessId, id);
    const journey = await getJourney({ store: { db: trx } }, businessId, id);
    if (journey.status === "archived")
      throw new JourneysError("conflict", "journey_archived", "an archived journey cannot be activated");
    if (journey.status === "active") return { ...journey, warnings: [] };
    const definition = definitionOf(journey);
    const warnings = await assertActivatable(
      r,
      trx,
      businessId,
      id,
      definition,
      "the journey cannot be activated",
    );
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
    return { ...(await getJourney({ store: { db: trx } }, businessId, id)), warnings };
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
    await cancelQueuedDeliveries(trx, businessId, id, now);
    return getJourney({ store: { db: trx } }, businessId, id);
  });
}

/** What the dispatcher decides for a message of an archived journey. */
const ARCHIVED = { status: "skipped", reason: "journey_archived", why: "the journey was archived" } as const;

/**
 * Skips the journey's unsent messages, each with the trail entry the dispatcher writes for a
 * skip (DESIGN §1: every decision is recorded), after its enrollment's last entry. A message
 * being sent right now is not `queued`: the dispatcher records its fate itself. Only messages
 * not yet handed to the dispatcher are queued, so these are few.
 */
async function cancelQueuedDeliveries(db: Db, businessId: string, journeyId: string, now: number) {
  const cancelled = await db
    .updateTable("deliveries")
    .set({
      status: "skipped",
      detail: writeJson({ reason: ARCHIVED.reason, message: ARCHIVED.why }),
      updated_at: now,
    })
    .where("business_id", "=", businessId)
    .where("journey_id", "=", journeyId)
    .where("status", "=", "queued")
    .returningAll()
    .execute();
  for (const d of cancelled.map(toClaimedDelivery)) {
    if (d.enrollmentId !== null)
      await appendTrail(db, businessId, d.enrollmentId, now, trailEntry(d, ARCHIVED, now));
  }
}
