import { countPerNode, eventMatches, simulate } from "@journeys/core";
import { getBusiness } from "../accounts/businesses";
import { toCustomer } from "../customers/customer";
import { JourneysError, notFound } from "../errors";
import type { Resources } from "../resources";
import { definitionOf } from "./journey";
import { unreceivableReason } from "./receivable";
import { getJourney } from "./service";

const DEFAULT_SAMPLE = 100;

/**
 * Runs a journey's current definition for one customer, or a sample from its entry segment, in
 * virtual time from now: nothing is written and nothing is sent. Splits read each customer's
 * memberships as they are now. Each send says whether it would go out or be skipped, and why.
 * For an event-triggered journey, `event` (the event's properties) is first checked against the
 * trigger's `where` filters: an event that would not enrol anyone simulates no one, and says so.
 */
export async function simulateJourney(
  r: Resources,
  businessId: string,
  journeyId: string,
  input: { customerId?: string; sample?: number; event?: Record<string, unknown> },
) {
  const journey = await getJourney(r, businessId, journeyId);
  const business = await getBusiness(r, businessId);
  const definition = definitionOf(journey);
  const db = r.store.db;
  const now = r.clock.now();
  const trigger = journey.trigger;
  if (trigger.type === "event" && input.event !== undefined) {
    const enters = eventMatches(
      { event: trigger.event, where: trigger.where as never },
      { name: trigger.event, properties: input.event },
    );
    if (!enters) {
      return {
        startedAt: now,
        customers: [],
        perNode: {},
        wouldNotEnter: `the event does not pass the trigger's filters on "${trigger.event}"`,
      };
    }
  }

  let customerIds: string[];
  if (input.customerId) customerIds = [input.customerId];
  else if (journey.trigger.type === "segment") {
    const rows = await db
      .selectFrom("segment_members")
      .select("customer_id")
      .where("business_id", "=", businessId)
      .where("segment_id", "=", journey.trigger.segmentId)
      .orderBy("customer_id")
      .limit(input.sample ?? DEFAULT_SAMPLE)
      .execute();
    customerIds = rows.map((row) => row.customer_id);
  } else {
    throw new JourneysError(
      "bad_request",
      "customer_required",
      "name a customerId: only segment-triggered journeys can sample their entry segment",
    );
  }

  const templates = await db
    .selectFrom("templates")
    .select(["id", "transactional"])
    .where("business_id", "=", businessId)
    .execute();
  const transactional = new Set(templates.filter((t) => Number(t.transactional) === 1).map((t) => t.id));
  const results = [];
  for (const customerId of customerIds) {
    const row = await db
      .selectFrom("customers")
      .selectAll()
      .where("business_id", "=", businessId)
      .where("id", "=", customerId)
      .executeTakeFirst();
    if (!row) throw notFound(`customer ${customerId}`);
    const customer = toCustomer(row);
    const members = new Set(
      (
        await db
          .selectFrom("segment_members")
          .select("segment_id")
          .where("business_id", "=", businessId)
          .where("customer_id", "=", customerId)
          .execute()
      ).map((m) => m.segment_id),
    );
    const run = simulate(definition, { isMember: (id) => members.has(id) }, now);
    results.push({
      customerId,
      timeline: run.timeline,
      sends: run.sends.map((send) => ({
        ...send,
        wouldSkip: unreceivableReason(customer, send.channel, {
          transactional: transactional.has(send.templateId),
          emailOptOut: business.settings.emailOptOut,
        }),
      })),
      endedAt: run.endedAt,
      exitReason: run.exitReason,
    });
  }
  return { startedAt: now, customers: results, perNode: countPerNode(results.map((x) => x.timeline)) };
}
