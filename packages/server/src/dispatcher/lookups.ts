import type { Channel } from "@journeys/core";
import { type Business, getBusiness } from "../accounts/businesses";
import { type ChannelSetup, findChannelSetup } from "../channels/setup";
import { type Customer, toCustomer } from "../customers/customer";
import type { Resources } from "../resources";
import type { Template } from "../templates/template";
import { findTemplate } from "../templates/templates";

/**
 * What deliveries of one batch read, loaded once per batch: a journey's step sends the same
 * template of the same business to many customers. Lives for one batch only, so a changed
 * template or set-up is seen by the next batch.
 */
export interface BatchLookups {
  business(businessId: string): Promise<Business>;
  template(businessId: string, templateId: string): Promise<Template | null>;
  channel(businessId: string, channel: Channel): Promise<ChannelSetup | null>;
  journeyArchived(businessId: string, journeyId: string | null): Promise<boolean>;
  customer(businessId: string, customerId: string): Promise<Customer | null>;
}

/** @example const lookups = batchLookups(r); await lookups.business("bus_…") */
export function batchLookups(r: Resources): BatchLookups {
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let value = memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = load();
      memo.set(key, value);
    }
    return value;
  };
  return {
    business: (b) => once(`b:${b}`, () => getBusiness(r, b)),
    template: (b, id) => once(`t:${b}:${id}`, () => findTemplate(r, b, id)),
    channel: (b, c) => once(`c:${b}:${c}`, () => findChannelSetup(r, b, c)),
    journeyArchived: (b, id) =>
      id === null
        ? Promise.resolve(false)
        : once(`j:${b}:${id}`, async () => {
            const row = await r.store.db
              .selectFrom("journeys")
              .select("status")
              .where("business_id", "=", b)
              .where("id", "=", id)
              .executeTakeFirst();
            return row?.status === "archived";
          }),
    // Customers are read fresh for every delivery (consent may have changed a moment ago), but
    // the deliveries that ask in the same turn of the event loop share one query.
    customer: coalesced(async (b, ids) => {
      const rows = await r.store.db
        .selectFrom("customers")
        .selectAll()
        .where("business_id", "=", b)
        .where("id", "in", ids)
        .execute();
      return new Map(rows.map((row) => [row.id, toCustomer(row)]));
    }),
  };
}

/**
 * A loader by id whose calls made in the same turn of the event loop are answered by one
 * `load` per business (what DataLoader does): 64 sends starting together cost one query, not
 * 64 round trips waiting for the pool's few connections.
 */
function coalesced<T>(load: (businessId: string, ids: string[]) => Promise<Map<string, T>>) {
  let waiting = new Map<string, Map<string, ((value: T | null) => void)[]>>();
  let failed: ((error: unknown) => void)[] = [];
  const run = async () => {
    const batch = waiting;
    const rejects = failed;
    waiting = new Map();
    failed = [];
    try {
      for (const [businessId, byId] of batch) {
        const found = await load(businessId, [...byId.keys()]);
        for (const [id, resolvers] of byId) for (const resolve of resolvers) resolve(found.get(id) ?? null);
      }
    } catch (error) {
      for (const reject of rejects) reject(error);
    }
  };
  return (businessId: string, id: string) =>
    new Promise<T | null>((resolve, reject) => {
      if (waiting.size === 0) setImmediate(() => void run());
      const byId = waiting.get(businessId) ?? new Map<string, ((value: T | null) => void)[]>();
      waiting.set(businessId, byId);
      const resolvers = byId.get(id) ?? [];
      resolvers.push(resolve);
      byId.set(id, resolvers);
      failed.push(reject);
    });
}
