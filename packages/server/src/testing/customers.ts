import type { Store } from "../store/store";

/**
 * Inserts `count` bare customers (`user_id` fill-0, fill-1, …) straight into the store, for
 * tests that need a business near its plan's customer limit.
 *
 * @example await fillCustomers(ctx.store, businessId, 999);
 */
export async function fillCustomers(store: Store, businessId: string, count: number): Promise<void> {
  const now = Date.now();
  await store.db
    .insertInto("customers")
    .values(
      Array.from({ length: count }, (_, i) => ({
        business_id: businessId,
        id: `cus_fill${String(i).padStart(4, "0")}`,
        user_id: `fill-${i}`,
        email: null,
        phone: null,
        timezone: null,
        locale: null,
        attributes: "{}",
        subscriptions: "{}",
        addresses: "{}",
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
}
