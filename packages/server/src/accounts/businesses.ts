import { type Channel, type FrequencyCap, isPlanId, type PlanId, type QuietHours } from "@journeys/core";
import type { Kysely } from "kysely";
import { JourneysError, notFound } from "../errors";
import type { Resources } from "../resources";
import { readJson, writeJson } from "../store/json";
import type { Database } from "../store/schema";

/** A tenant: everything else belongs to exactly one business. */
export interface Business {
  id: string;
  name: string;
  plan: PlanId;
  settings: BusinessSettings;
  createdAt: number;
}

export interface BusinessSettings {
  /** When true, email `unknown` consent counts as subscribed (DESIGN §5 Customer). */
  emailOptOut: boolean;
  /** The business's IANA time zone: quiet hours of a customer without one are read in it. */
  timezone: string;
  /** No marketing message inside these local hours; one due then is deferred to their end. */
  quietHours: QuietHours | null;
  /** At most `max` marketing messages per customer per channel (or "all") per rolling `perHours`. */
  frequencyCaps: FrequencyCap[];
  /** At most this many messages per second on a channel, for the whole business (every message, transactional too). */
  sendRates: Partial<Record<Channel, number>>;
}

const DEFAULT_SETTINGS: BusinessSettings = {
  emailOptOut: false,
  timezone: "UTC",
  quietHours: null,
  frequencyCaps: [],
  sendRates: {},
};

export function assertPlan(plan: string): PlanId {
  if (!isPlanId(plan)) {
    throw new JourneysError(
      "bad_request",
      "unknown_plan",
      `unknown plan "${plan}"; plans are starter, lite, growth, business, enterprise`,
    );
  }
  return plan;
}

export async function createBusiness(
  r: Resources,
  input: { name: string; plan: string; settings?: Partial<BusinessSettings> },
): Promise<Business> {
  const name = input.name.trim();
  if (!name) throw new JourneysError("bad_request", "invalid_name", "a business needs a name");
  const business: Business = {
    id: r.newId("bus"),
    name,
    plan: assertPlan(input.plan),
    settings: { ...DEFAULT_SETTINGS, ...input.settings },
    createdAt: r.clock.now(),
  };
  await r.store.db
    .insertInto("businesses")
    .values({
      id: business.id,
      name: business.name,
      plan: business.plan,
      settings: writeJson(business.settings),
      created_at: business.createdAt,
    })
    .execute();
  return business;
}

export async function findBusiness(r: Resources, id: string): Promise<Business | null> {
  return readBusiness(r.store.db, id);
}

/** The business through `db` (e.g. inside an open transaction), or null. */
export async function readBusiness(db: Kysely<Database>, id: string): Promise<Business | null> {
  const row = await db.selectFrom("businesses").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toBusiness(row) : null;
}

export async function getBusiness(r: Resources, id: string): Promise<Business> {
  const business = await findBusiness(r, id);
  if (!business) throw notFound("business");
  return business;
}

export async function listBusinesses(r: Resources): Promise<Business[]> {
  const rows = await r.store.db.selectFrom("businesses").selectAll().orderBy("id").execute();
  return rows.map(toBusiness);
}

export async function countBusinesses(r: Resources): Promise<number> {
  const row = await r.store.db
    .selectFrom("businesses")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function changePlan(r: Resources, id: string, plan: string): Promise<Business> {
  const result = await r.store.db
    .updateTable("businesses")
    .set({ plan: assertPlan(plan) })
    .where("id", "=", id)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw notFound("business");
  return getBusiness(r, id);
}

function toBusiness(row: {
  id: string;
  name: string;
  plan: string;
  settings: unknown;
  created_at: number;
}): Business {
  return {
    id: row.id,
    name: row.name,
    plan: assertPlan(row.plan),
    settings: { ...DEFAULT_SETTINGS, ...readJson<Partial<BusinessSettings>>(row.settings) },
    createdAt: Number(row.created_at),
  };
}
