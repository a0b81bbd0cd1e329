import { storedDefinition } from "../journeys/journey";
import type { Resources } from "../resources";
import { notifyWork } from "./signals";

/**
 * The internal entry point for form-triggered journeys (the forms feature calls it when a
 * customer submits): queues an entry into every active journey whose trigger is this form.
 * The submission's fields are what templates see as `event`.
 *
 * @example await enterFromForm(r, businessId, "frm_1", customer.id, { message: "Hi" });
 */
export async function enterFromForm(
  r: Resources,
  businessId: string,
  formId: string,
  customerId: string,
  submission: Record<string, unknown>,
): Promise<number> {
  const journeys = await r.store.db
    .selectFrom("journeys")
    .select(["id", "definition"])
    .where("business_id", "=", businessId)
    .where("status", "=", "active")
    .execute();
  const now = r.clock.now();
  const matching = journeys.filter((j) => {
    const trigger = storedDefinition(j.definition).trigger;
    return trigger.type === "form" && trigger.formId === formId;
  });
  if (matching.length === 0) return 0;
  await r.store.db
    .insertInto("engine_work")
    .values(
      matching.map((j) => ({
        business_id: businessId,
        kind: "enter",
        journey_id: j.id,
        customer_id: customerId,
        enrollment_id: null,
        run_at: now,
        payload: JSON.stringify(submission),
        created_at: now,
      })),
    )
    .execute();
  notifyWork(r.store);
  return matching.length;
}
