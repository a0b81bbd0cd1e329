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
