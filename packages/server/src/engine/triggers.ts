import { eventMatches, type TriggerWhere } from "@journeys/core";
import { storedDefinition } from "../journeys/journey";
import type { Store } from "../store/store";

/** An active event-triggered journey, as the ingestion write path needs it. */
export interface EventTrigger {
  journeyId: string;
  event: string;
  where: TriggerWhere[] | undefined;
}

interface Entry {
  version: number;
  byEvent: Map<string, EventTrigger[]>;
}

/**
 * The event triggers of a business's active journeys, cached per process and reloaded when
 * the business's `journeys_version` changes (every activate / pause / archive / trigger edit).
 */
export class JourneyTriggers {
  readonly #cache = new Map<string, Entry>();

  constructor(private readonly store: Store) {}

  /** `db` defaults to the store's; pass a transaction's to read inside it. */
  async forBusiness(businessId: string, db = this.store.db): Promise<ReadonlyMap<string, EventTrigger[]>> {
    const row = await db
      .selectFrom("businesses")
      .select("journeys_version")
      .where("id", "=", businessId)
      .executeTakeFirst();
    const version = Number(row?.journeys_version ?? 0);
    const cached = this.#cache.get(businessId);
    if (cached && cached.version === version) return cached.byEvent;
    const journeys = await db
      .selectFrom("journeys")
      .select(["id", "definition"])
      .where("business_id", "=", businessId)
      .where("status", "=", "active")
      .execute();
    const byEvent = new Map<string, EventTrigger[]>();
    for (const journey of journeys) {
      const trigger = storedDefinition(journey.definition).trigger;
      if (trigger.type !== "event") continue;
      byEvent.set(trigger.event, [
        ...(byEvent.get(trigger.event) ?? []),
        { journeyId: journey.id, event: trigger.event, where: trigger.where },
      ]);
    }
    this.#cache.set(businessId, { version, byEvent });
    return byEvent;
  }
}

/** Does a tracked event enter this journey? Same filter semantics as segment event conditions. */
export function triggerMatches(
  trigger: EventTrigger,
  name: string,
  properties: Record<string, unknown>,
): boolean {
  return eventMatches({ event: trigger.event, where: trigger.where as never }, { name, properties });
}

const caches = new WeakMap<Store, JourneyTriggers>();

/** The store's trigger cache (one per store per process). */
export function journeyTriggers(store: Store): JourneyTriggers {
  let cache = caches.get(store);
  if (!cache) {
    cache = new JourneyTriggers(store);
    caches.set(store, cache);
  }
  return cache;
}
