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

/**
 * Inserts customers with these ids (also their `user_id`), each with an email address and
 * subscribed to email, straight into the store.
 *
 * @example await insertEmailCustomers(ctx.store, businessId, ["cus_a", "cus_b"], T0);
 */
export async function insertEmailCustomers(
  store: Store,
  businessId: string,
  ids: string[],
  at: number,
): Promise<void> {
  await store.db
    .insertInto("customers")
    .values(
      ids.map((id) => ({
        business_id: businessId,
        id,
        user_id: id,
        email: `${id}@example.com`,
        phone: null,
        timezone: null,
        locale: null,
        attributes: "{}",
        subscriptions: JSON.stringify({ channels: { email: "subscribed" } }),
        addresses: "{}",
        created_at: at,
        updated_at: at,
      })),
    )
    .execute();
}
