import { affectedSegments, checkLimit, type PlanId } from "@journeys/core";
import type { Kysely } from "kysely";
import { type Business, readBusiness } from "../accounts/businesses";
import { JourneysError, notFound } from "../errors";
import type { IdGenerator } from "../ids";
import type { Resources } from "../resources";
import type { SegmentCatalog } from "../segments/catalog";
import { type MembershipDelta, reevaluateCustomer } from "../segments/membership";
import type { Database } from "../store/schema";
import type { Customer } from "./customer";
import { applyProfilePatch, blankCustomer, type ProfilePatch } from "./profile";
import { identityHashes } from "./suppression";
import { withCustomerWriter } from "./with-writer";
import type { CustomerWriter } from "./writer";

/**
 * How many more customers a business may create in one transaction. The count is read once,
 * on the first reservation, so a 500-row import batch costs one `count(*)`, not 500.
 */
export class CustomerAllowance {
  #count: number | null = null;

  constructor(
    private readonly w: CustomerWriter,
    private readonly plan: PlanId,
  ) {}

  /** Takes one slot or throws 402 `plan_limit_reached` naming the plan and its limit. */
  async reserve(): Promise<void> {
    this.#count ??= await this.w.customerCount();
    const verdict = checkLimit(this.plan, "customers", this.#count);
    if (!verdict.ok) {
      const { code, message, plan, limit, upgradeTo } = verdict.problem;
      throw new JourneysError("payment_required", code, message, { plan, limit, upgradeTo });
    }
    this.#count++;
  }
}

export interface SaveProfileContext {
  business: Business;
  catalog: SegmentCatalog;
  newId: IdGenerator;
  now: number;
  allowance: CustomerAllowance;
}

export interface SavedProfile {
  customer: Customer;
  created: boolean;
  /** False when the patch changed nothing (no write, no re-evaluation). */
  changed: boolean;
  memberships: MembershipDelta;
}

/**
 * Creates (`existing` null) or updates a customer from a profile patch — the API's create and
 * update and every CSV import row go through here, inside the caller's writer transaction.
 * Nothing is written unless every check passes:
 * - 400 `invalid_customer` with `details.fields` listing every problem of the patch;
 * - 409 `user_id_taken` / `email_taken` when another customer holds that identity;
 * - on create, 409 `customer_erased` for an erased person's identity and 402
 *   `plan_limit_reached` over the plan's customer limit.
 * Then it re-evaluates the segments the change can affect (all of them for a new customer),
 * writing joined/left membership events.
 *
 * @example
 *   await withCustomerWriter(store, businessId, (w) => saveProfile(w, ctx, null, { email: "a@b.co" }));
 */
export async function saveProfile(
  w: CustomerWriter,
  ctx: SaveProfileContext,
  existing: Customer | null,
  patch: ProfilePatch,
): Promise<SavedProfile> {
  const base = existing ?? blankCustomer(ctx.newId("cus"), ctx.now);
  const applied = applyProfilePatch(base, patch, ctx.now);
  if ("problems" in applied) {
    throw new JourneysError(
      "bad_request",
      "invalid_customer",
      applied.problems.map((p) => `${p.field}: ${p.message}`).join("; "),
      { fields: applied.problems },
    );
  }
  const customer = applied.customer;
  if (customer.userId !== null && customer.userId !== existing?.userId) {
    const owner = await w.customerByUserId(customer.userId);
    if (owner && owner.id !== customer.id) {
      throw new JourneysError(
        "conflict",
        "user_id_taken",
        `userId ${customer.userId} belongs to another customer (${owner.id})`,
        { customerId: owner.id },
      );
    }
  }
  if (customer.email !== null && customer.email !== existing?.email) {
    const owner = await w.customerByEmail(customer.email);
    if (owner && owner.id !== customer.id) {
      throw new JourneysError(
        "conflict",
        "email_taken",
        `email ${customer.email} belongs to another customer (${owner.id})`,
        { customerId: owner.id },
      );
    }
  }

  if (existing === null) {
    const identity = { userId: customer.userId, email: customer.email, phone: customer.phone };
    for (const hash of identityHashes(w.businessId, identity)) {
      if (await w.isSuppressed(hash)) {
        throw new JourneysError(
          "conflict",
          "customer_erased",
          "this person was erased at their request; they cannot be added again with the same identity",
        );
      }
    }
    await ctx.allowance.reserve();
    await w.insertCustomer(customer);
  } else if (JSON.stringify(customer) === JSON.stringify(existing)) {
    return { customer: existing, created: false, changed: false, memberships: { joined: [], left: [] } };
  } else {
    await w.updateCustomer(customer);
  }

  const segmentIds =
    existing === null
      ? ctx.catalog.index.order
      : affectedSegments(ctx.catalog.index, {
          attributes: applied.change.attributes,
          subscriptions: applied.change.subscriptions,
        });
  const memberships = await reevaluateCustomer(
    w,
    ctx.catalog,
    customer,
    segmentIds,
    ctx.now,
    ctx.business.settings.emailOptOut,
  );
  return { customer, created: existing === null, changed: true, memberships };
}

/**
 * One transaction of profile writes for a business: reads the business (its plan and settings)
 * and its segment catalog inside the transaction — a segment created or a setting changed
 * meanwhile is either what these writes evaluate, or its recompute runs after them and sees
 * their rows — and runs `work` with a writer, a fresh context, and `db` for other queries in
 * the same transaction.
 */
export async function withProfileWrites<T>(
  r: Resources,
  businessId: string,
  work: (w: CustomerWriter, ctx: SaveProfileContext, db: Kysely<Database>) => Promise<T>,
  options: { batched?: boolean } = {},
): Promise<T> {
  return withCustomerWriter(
    r.store,
    businessId,
    async (w, db) => {
      const business = await readBusiness(db, businessId);
      if (!business) throw notFound("business");
      const catalog = await r.catalogs.get(db, businessId);
      const ctx = {
        business,
        catalog,
        newId: r.newId,
        now: r.clock.now(),
        allowance: new CustomerAllowance(w, business.plan),
      };
      return work(w, ctx, db);
    },
    options,
  );
}
