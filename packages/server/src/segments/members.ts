import type { Kysely } from "kysely";
import { JourneysError } from "../errors";
import type { Database } from "../store/schema";

/** How a segment's member or a preview's sample is shown: enough to recognise the person. */
export interface CustomerSummary {
  id: string;
  userId: string | null;
  email: string | null;
  phone: string | null;
}

export interface MemberPage {
  data: (CustomerSummary & { since: number })[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const encodeCursor = (customerId: string) => Buffer.from(customerId).toString("base64url");

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, "base64url").toString();
  if (!/^cus_\S+$/.test(id)) {
    throw new JourneysError("bad_request", "invalid_cursor", "cursor is not one this API returned");
  }
  return id;
}

/** One page of a segment's members in customer id order, after `cursor`. */
export async function listMembers(
  db: Kysely<Database>,
  businessId: string,
  segmentId: string,
  page: { limit: number; cursor?: string },
): Promise<MemberPage> {
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  const rows = await db
    .selectFrom("segment_members as m")
    .innerJoin("customers as c", (j) =>
      j.onRef("c.business_id", "=", "m.business_id").onRef("c.id", "=", "m.customer_id"),
    )
    .select(["c.id", "c.user_id", "c.email", "c.phone", "m.since"])
    .where("m.business_id", "=", businessId)
    .where("m.segment_id", "=", segmentId)
    .$if(after !== null, (q) => q.where("m.customer_id", ">", after!))
    .orderBy("m.customer_id")
    .limit(page.limit + 1)
    .execute();
  const more = rows.length > page.limit;
  const data = rows
    .slice(0, page.limit)
    .map((r) => ({ id: r.id, userId: r.user_id, email: r.email, phone: r.phone, since: Number(r.since) }));
  return { data, nextCursor: more ? encodeCursor(data[data.length - 1]!.id) : null };
}

/** Summaries of the given customers, in id order (unknown ids are absent). */
export async function customerSummaries(
  db: Kysely<Database>,
  businessId: string,
  ids: readonly string[],
): Promise<CustomerSummary[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom("customers")
    .select(["id", "user_id", "email", "phone"])
    .where("business_id", "=", businessId)
    .where("id", "in", ids)
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ id: r.id, userId: r.user_id, email: r.email, phone: r.phone }));
}
