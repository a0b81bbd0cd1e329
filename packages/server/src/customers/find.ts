import type { Resources } from "../resources";
import { type Customer, toCustomer } from "./customer";

/**
 * The business's customer with this E.164 phone number, or null (inbound SMS and WhatsApp
 * name the sender by number). When two customers share a number, the oldest answers.
 *
 * @example await customerByPhone(r, "bus_…", "+4915112345678")
 */
export async function customerByPhone(
  r: Resources,
  businessId: string,
  phone: string,
): Promise<Customer | null> {
  const row = await r.store.db
    .selectFrom("customers")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("phone", "=", phone)
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  return row ? toCustomer(row) : null;
}

/** The business's customer with this id, or null. */
export async function customerById(r: Resources, businessId: string, id: string): Promise<Customer | null> {
  const row = await r.store.db
    .selectFrom("customers")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toCustomer(row) : null;
}
