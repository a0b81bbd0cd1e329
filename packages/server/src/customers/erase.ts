import { notFound } from "../errors";
import type { Resources } from "../resources";
import { identityHashes } from "./suppression";
import { withCustomerWriter } from "./with-writer";
import type { CustomerDataTable } from "./writer";

/**
 * The tables a GDPR erase purges of the customer's rows, in this order. Features that keep
 * per-customer rows add their table here; a table qualifies by having `business_id` and
 * `customer_id` columns. Enrollment trails are keyed by enrollment and go first.
 *
 * `membership_events` is deliberately not listed. The erase first ends every membership with
 * a `left` row, so consumers of the log (journeys' exits, segment sizes) see the person leave;
 * the rows that stay hold only the opaque `cus_…` id, which no longer resolves to anyone once
 * the profile, aliases and events are gone — deleting them would hide that exit from any
 * consumer that has not read that far yet.
 */
export const ERASED_TABLES: readonly CustomerDataTable[] = [
  "events",
  "event_hits",
  "customer_aliases",
  "segment_members",
  "engine_work",
  "deliveries",
  "enrollments",
];

export interface Erasure {
  id: string;
  erasedAt: number;
  /** Segments the customer left (each has a `left` membership event). */
  segmentsLeft: string[];
  /** Rows deleted per table. */
  deleted: Record<string, number>;
  /** Identity hashes kept so ingestion and imports refuse to re-create the person. */
  suppressedIdentities: number;
}

/**
 * GDPR erase, in one transaction: end the memberships (logged as `left`), purge
 * `ERASED_TABLES`, delete the profile and keep only hashes of its userId, email and phone
 * in `suppressions`.
 *
 * @example
 *   const erasure = await eraseCustomer(r, "bus_…", "cus_…");
 */
export async function eraseCustomer(r: Resources, businessId: string, customerId: string): Promise<Erasure> {
  const now = r.clock.now();
  return withCustomerWriter(r.store, businessId, async (w) => {
    const customer = await w.customerById(customerId);
    if (!customer) throw notFound("customer");
    const segmentsLeft = [...(await w.memberships(customerId))].sort();
    for (const segmentId of segmentsLeft) await w.leave(segmentId, customerId, now);
    const deleted: Record<string, number> = {};
    deleted.enrollment_trail = await w.purgeEnrollmentTrail(customerId);
    for (const table of ERASED_TABLES) deleted[table] = await w.purgeCustomerRows(table, customerId);
    await w.deleteCustomer(customerId);
    const hashes = identityHashes(businessId, {
      userId: customer.userId,
      email: customer.email,
      phone: customer.phone,
    });
    for (const hash of hashes) await w.suppress(hash, now);
    return { id: customerId, erasedAt: now, segmentsLeft, deleted, suppressedIdentities: hashes.length };
  });
}
