/**
 * Plans as data (DESIGN §1). This is the single place that answers
 * "may this business do X" and "how many Y may it have".
 *
 * @example
 *   const verdict = checkLimit("growth", "journeys", 25);
 *   if (!verdict.ok) throw new PlanError(verdict.problem);
 */

/** Plan ids as stored. Stored strings are never renamed. */
export const PLAN_IDS = ["starter", "lite", "growth", "business", "enterprise"] as const;
export type PlanId = (typeof PLAN_IDS)[number];

/** Things a plan counts. `null` means unlimited. */
export type Countable = "journeys" | "segments" | "customers" | "aiCreditsPerMonth";

/** Capabilities a plan switches on or off. */
export type Module = "omnichannel";

export interface Plan {
  id: PlanId;
  name: string;
  modules: readonly Module[];
  limits: Readonly<Record<Countable, number | null>>;
}

export const PLANS: Readonly<Record<PlanId, Plan>> = {
  starter: {
    id: "starter",
    name: "Starter",
    modules: [],
    limits: { journeys: 0, segments: 10, customers: 1_000, aiCreditsPerMonth: 50 },
  },
  lite: {
    id: "lite",
    name: "Lite",
    modules: [],
    limits: { journeys: 0, segments: 25, customers: 2_500, aiCreditsPerMonth: 150 },
  },
  growth: {
    id: "growth",
    name: "Growth",
    modules: ["omnichannel"],
    limits: { journeys: 25, segments: 50, customers: 10_000, aiCreditsPerMonth: 400 },
  },
  business: {
    id: "business",
    name: "Business",
    modules: ["omnichannel"],
    limits: { journeys: 75, segments: 150, customers: 50_000, aiCreditsPerMonth: 1_000 },
  },
  enterprise: {
    id: "enterprise",
    name: "Enterprise",
    modules: ["omnichannel"],
    limits: { journeys: null, segments: null, customers: null, aiCreditsPerMonth: 3_000 },
  },
};

/** Which module a countable needs before its limit matters at all. */
const REQUIRED_MODULE: Partial<Record<Countable, Module>> = { journeys: "omnichannel" };

const COUNTABLE_LABEL: Record<Countable, string> = {
  journeys: "journeys",
  segments: "segments",
  customers: "customers",
  aiCreditsPerMonth: "AI credits per month",
};

export function isPlanId(value: unknown): value is PlanId {
  return typeof value === "string" && (PLAN_IDS as readonly string[]).includes(value);
}

/** The cheapest plan above `id` that has `module`, or null when none does. */
export function upgradeForModule(id: PlanId, module: Module): Plan | null {
  const from = PLAN_IDS.indexOf(id);
  for (const candidate of PLAN_IDS.slice(from + 1)) {
    if (PLANS[candidate].modules.includes(module)) return PLANS[candidate];
  }
  return null;
}

/** The cheapest plan above `id` whose limit for `what` is above `needed` (or unlimited). */
export function upgradeForLimit(id: PlanId, what: Countable, needed: number): Plan | null {
  const from = PLAN_IDS.indexOf(id);
  for (const candidate of PLAN_IDS.slice(from + 1)) {
    const limit = PLANS[candidate].limits[what];
    if (limit === null || limit >= needed) return PLANS[candidate];
  }
  return null;
}

/** Why a plan refuses something; carried to the edge and shown to the user as is. */
export interface PlanProblem {
  code: "plan_required" | "plan_limit_reached";
  message: string;
  plan: PlanId;
  what: Countable | Module;
  limit: number | null;
  upgradeTo: PlanId | null;
}

export type PlanVerdict = { ok: true } | { ok: false; problem: PlanProblem };

/** May a business on `planId` use `module`? */
export function checkModule(planId: PlanId, module: Module): PlanVerdict {
  const plan = PLANS[planId];
  if (plan.modules.includes(module)) return { ok: true };
  const upgrade = upgradeForModule(planId, module);
  return {
    ok: false,
    problem: {
      code: "plan_required",
      message:
        `The ${plan.name} plan does not include the Omnichannel module` +
        (upgrade ? `; upgrade to ${upgrade.name} or above to use it.` : "."),
      plan: planId,
      what: module,
      limit: null,
      upgradeTo: upgrade?.id ?? null,
    },
  };
}

/**
 * May a business on `planId` that already has `current` of `what` add `adding` more?
 * Checks the module first, so a Starter business asking for a journey hears
 * "plan_required", not "limit 0".
 */
export function checkLimit(planId: PlanId, what: Countable, current: number, adding = 1): PlanVerdict {
  const module = REQUIRED_MODULE[what];
  if (module) {
    const moduleVerdict = checkModule(planId, module);
    if (!moduleVerdict.ok) return moduleVerdict;
  }
  const plan = PLANS[planId];
  const limit = plan.limits[what];
  const wanted = current + adding;
  if (limit === null || wanted <= limit) return { ok: true };
  const upgrade = upgradeForLimit(planId, what, wanted);
  const label = COUNTABLE_LABEL[what];
  return {
    ok: false,
    problem: {
      code: "plan_limit_reached",
      message:
        `The ${plan.name} plan allows ${limit.toLocaleString("en-US")} ${label}; ` +
        `this business has ${current.toLocaleString("en-US")}` +
        (upgrade ? `. Upgrade to ${upgrade.name} to raise the limit.` : "."),
      plan: planId,
      what,
      limit,
      upgradeTo: upgrade?.id ?? null,
    },
  };
}
