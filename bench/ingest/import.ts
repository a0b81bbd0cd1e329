import { Readable } from "node:stream";
import { importCustomers } from "../../packages/server/src/customers/import";
import type { Resources } from "../../packages/server/src/resources";

/**
 * A CSV import creating `rows` new customers (userId, email, two attributes) into a business
 * with the workload's 20 segments, each re-evaluated for every new customer. Returns rows/s.
 */
export async function importRate(
  r: Resources,
  businessId: string,
  rows: number,
  salt: string,
): Promise<number> {
  const csv = [
    "userId,email,plan,country",
    ...Array.from(
      { length: rows },
      (_, i) => `${salt}-${i},${salt}-${i}@example.com,${i % 3 ? "free" : "pro"},${i % 2 ? "DE" : "FR"}`,
    ),
  ].join("\n");
  const started = performance.now();
  const result = await importCustomers(r, businessId, Readable.from([csv]), {
    mapping: {},
    onDuplicate: "update",
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.created !== rows) throw new Error(`the import created ${result.created} of ${rows} customers`);
  return rows / seconds;
}
