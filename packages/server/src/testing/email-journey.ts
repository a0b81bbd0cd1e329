import type { Trigger } from "@journeys/core";
import { activateJourney } from "../journeys/lifecycle";
import { createJourney } from "../journeys/service";
import type { Resources } from "../resources";
import { writeJson } from "../store/json";

/**
 * An active one-step journey, `trigger` → one email, and what it needs to pass activation,
 * written straight to the store: an email template `tpl_hi` and an SMTP channel (nothing
 * listens on its port; tests that send bring their own server). Returns the journey's id.
 */
export async function activeEmailJourney(
  r: Resources,
  businessId: string,
  trigger: Trigger,
  at: number,
): Promise<string> {
  const store = r.store;
  await store.db
    .insertInto("templates")
    .values({
      business_id: businessId,
      id: "tpl_hi",
      name: "Hi",
      channel: "email",
      content: writeJson({ subject: "Hi", body: "<p>Hi</p>" }),
      transactional: 0,
      created_at: at,
      updated_at: at,
    })
    .execute();
  await store.db
    .insertInto("channels")
    .values({
      business_id: businessId,
      channel: "email",
      provider: "smtp",
      config: writeJson({ host: "127.0.0.1", port: 2525, from: "a@example.com" }),
      updated_at: at,
    })
    .execute();
  const journey = await createJourney(r, businessId, {
    name: "One email",
    trigger,
    start: "hi",
    nodes: { hi: { type: "message", channel: "email", templateId: "tpl_hi", next: null } },
  });
  await activateJourney(r, businessId, journey.id);
  return journey.id;
}

/**
 * Queues an `enter` work item into `journeyId` for each customer, due at `at`, as a trigger
 * would.
 *
 * @example await queueEntries(r.store, businessId, journeyId, ["cus_a"], T0);
 */
export async function queueEntries(
  store: Resources["store"],
  businessId: string,
  journeyId: string,
  customerIds: string[],
  at: number,
): Promise<void> {
  await store.db
    .insertInto("engine_work")
    .values(
      customerIds.map((customerId) => ({
        business_id: businessId,
        kind: "enter",
        journey_id: journeyId,
        customer_id: customerId,
        enrollment_id: null,
        run_at: at,
        payload: null,
        created_at: at,
      })),
    )
    .execute();
}
