import {
  type ActivationContext,
  type ActivationReport,
  checkLimit,
  type JourneyDefinition,
  type MessageChannel,
  type PlanProblem,
  validateForActivation,
} from "@journeys/core";
import { getBusiness } from "../accounts/businesses";
import { toCustomer } from "../customers/customer";
import { JourneysError } from "../errors";
import type { Resources } from "../resources";
import { planError } from "./journey";
import { unreceivableReason } from "./receivable";

// What activation checks, and anything else that publishes a journey version (an edit of an
// active journey's steps): the store's facts a definition refers to, and the refusal.
type Db = Resources["store"]["db"];

const REACH_SAMPLE = 5_000;

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

/**
 * Refuses a definition that activation would refuse, with the whole report as details: the
 * plan's 403 `plan_required` / 402 `plan_limit_reached`, else 422 `journey_invalid`. Anything
 * that publishes a version (activation, an edit of an active journey) passes here first.
 * Returns the lint's warnings, for the caller to show.
 *
 * @example await assertActivatable(r, trx, businessId, id, definition, "the journey cannot be activated");
 */
export async function assertActivatable(
  r: Resources,
  db: Db,
  businessId: string,
  id: string,
  definition: JourneyDefinition,
  refusal: string,
): Promise<ActivationReport["warnings"]> {
  const report = validateForActivation(
    definition,
    await activationContext(r, db, businessId, id, definition),
  );
  if (report.problems.length === 0) return report.warnings;
  const plan = report.problems.find(
    (p): p is typeof p & Pick<PlanProblem, "code"> =>
      p.code === "plan_required" || p.code === "plan_limit_reached",
  );
  if (plan) throw planError(plan, report);
  const message = `${refusal}: ${report.problems.length} problem(s)`;
  throw new JourneysError("unprocessable", "journey_invalid", message, report);
}
