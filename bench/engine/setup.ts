import { createBusinessWithOwner } from "../../packages/server/src/accounts/bootstrap";
import { SecretBox } from "../../packages/server/src/channels/secret-box";
import { ManualClock } from "../../packages/server/src/clock";
import { newId } from "../../packages/server/src/ids";
import { activateJourney } from "../../packages/server/src/journeys/lifecycle";
import { createJourney } from "../../packages/server/src/journeys/service";
import type { Resources } from "../../packages/server/src/resources";
import { SegmentCatalogs } from "../../packages/server/src/segments/catalog";
import { writeJson } from "../../packages/server/src/store/json";
import type { Store } from "../../packages/server/src/store/store";
import { RenderThreads } from "../../packages/server/src/templates/render-threads";
import { LOCAL_OUTBOUND } from "../../packages/server/src/testing/outbound";

export const T0 = Date.UTC(2026, 0, 5, 9);
export const DAY = 86_400_000;

/**
 * The benchmark workload: `customers` customers, half of them in a VIP segment, and an
 * active event-triggered 5-node journey — message → delay 1 day → split (VIP) → message →
 * message — then one `enter` work item per customer, due now.
 */
export async function seed(store: Store, customers: number) {
  const clock = new ManualClock(T0);
  const r: Resources = {
    store,
    clock,
    newId,
    catalogs: new SegmentCatalogs(),
    outbound: LOCAL_OUTBOUND,
    renderer: new RenderThreads(),
    secrets: SecretBox.ephemeral(),
  };
  const business = await createBusinessWithOwner(r, {
    name: "Bench",
    plan: "enterprise",
    ownerEmail: `bench-${Date.now()}@example.com`,
  });
  const b = business.businessId;
  const db = store.db;
  for (const id of ["tpl_a", "tpl_b", "tpl_c"]) {
    await db
      .insertInto("templates")
      .values({
        business_id: b,
        id,
        name: id,
        channel: "email",
        content: writeJson({ subject: "Hi", body: "<p>Hi</p>" }),
        transactional: 0,
        created_at: T0,
        updated_at: T0,
      })
      .execute();
  }
  await db
    .insertInto("channels")
    .values({
      business_id: b,
      channel: "email",
      provider: "smtp",
      config: writeJson({ host: "127.0.0.1", port: 25, from: "a@b.co" }),
      updated_at: T0,
    })
    .execute();
  await db
    .insertInto("segments")
    .values({ business_id: b, id: "seg_vip", name: "VIP", rule: null, created_at: T0, updated_at: T0 })
    .execute();

  const ids: string[] = [];
  const empty = writeJson({});
  for (let i = 0; i < customers; i += 500) {
    const rows = [];
    for (let j = i; j < Math.min(customers, i + 500); j++) {
      const id = `cus_${String(j).padStart(8, "0")}`;
      ids.push(id);
      rows.push({
        business_id: b,
        id,
        user_id: `u${j}`,
        email: `u${j}@example.com`,
        phone: null,
        timezone: null,
        locale: null,
        attributes: empty,
        subscriptions: writeJson({ channels: { email: "subscribed" } }),
        addresses: empty,
        created_at: T0,
        updated_at: T0,
      });
    }
    await db.insertInto("customers").values(rows).execute();
    const vip = rows
      .filter((_, k) => k % 2 === 0)
      .map((row) => ({ business_id: b, segment_id: "seg_vip", customer_id: row.id, since: T0 }));
    if (vip.length) await db.insertInto("segment_members").values(vip).execute();
  }

  const journey = await createJourney(r, b, {
    name: "Bench journey",
    trigger: { type: "event", event: "Signed Up" },
    start: "welcome",
    nodes: {
      welcome: { type: "message", channel: "email", templateId: "tpl_a", next: "wait" },
      wait: { type: "delay", amount: 1, unit: "days", next: "check" },
      check: { type: "split", segmentId: "seg_vip", true: "vip", false: "regular" },
      vip: { type: "message", channel: "email", templateId: "tpl_b", next: null },
      regular: { type: "message", channel: "email", templateId: "tpl_c", next: null },
    },
  });
  await activateJourney(r, b, journey.id);
  for (let i = 0; i < ids.length; i += 500) {
    await db
      .insertInto("engine_work")
      .values(
        ids.slice(i, i + 500).map((id) => ({
          business_id: b,
          kind: "enter",
          journey_id: journey.id,
          customer_id: id,
          enrollment_id: null,
          run_at: T0,
          payload: null,
          created_at: T0,
        })),
      )
      .execute();
  }
  return { r, clock, businessId: b, journeyId: journey.id, customerIds: ids };
}
