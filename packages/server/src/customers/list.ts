import { type Kysely, sql } from "kysely";
import { JourneysError, notFound } from "../errors";
import type { Database } from "../store/schema";
import { jsonKeyPath } from "../store/sqlite/json-path";
import type { DialectName } from "../store/store";
import { type Customer, toCustomer } from "./customer";

export interface CustomerFilter {
  email?: string;
  userId?: string;
  /** Members of this segment only. */
  segmentId?: string;
  /** Custom attribute equality, compared as text (`plan=pro`, `age=30`, `vip=true`). */
  attributes?: Record<string, string>;
  /** Prefix of the email, userId or phone. */
  q?: string;
}

export interface CustomerPage {
  data: Customer[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

export const LIST_LIMITS = { defaultLimit: 50, maxLimit: 200, attributeFilters: 10 };

/**
 * One page of a business's customers, in id order (stable, and creation order since ids
 * start with their creation time). The cursor is opaque: the last id of the page, encoded.
 *
 * @example
 *   const page = await listCustomers(db, "sqlite", "bus_…", { attributes: { plan: "pro" } }, 50, null);
 */
export async function listCustomers(
  db: Kysely<Database>,
  dialect: DialectName,
  businessId: string,
  filter: CustomerFilter,
  limit: number,
  cursor: string | null,
): Promise<CustomerPage> {
  let q = db.selectFrom("customers").selectAll().where("business_id", "=", businessId);
  if (filter.email !== undefined) q = q.where("email", "=", filter.email.trim().toLowerCase());
  if (filter.userId !== undefined) q = q.where("user_id", "=", filter.userId);
  if (filter.segmentId !== undefined) {
    const segmentId = filter.segmentId;
    const segment = await db
      .selectFrom("segments")
      .select("id")
      .where("business_id", "=", businessId)
      .where("id", "=", segmentId)
      .executeTakeFirst();
    if (!segment) throw notFound("segment");
    q = q.where("id", "in", (eb) =>
      eb
        .selectFrom("segment_members")
        .select("customer_id")
        .where("business_id", "=", businessId)
        .where("segment_id", "=", segmentId),
    );
  }
  const attributes = Object.entries(filter.attributes ?? {});
  if (attributes.length > LIST_LIMITS.attributeFilters) {
    throw new JourneysError(
      "bad_request",
      "too_many_filters",
      `at most ${LIST_LIMITS.attributeFilters} attribute filters`,
    );
  }
  for (const [name, value] of attributes) {
    if (name === "") {
      throw new JourneysError("bad_request", "invalid_filter", `attribute.${name} is not an attribute name`);
    }
    q = q.where(attributeText(dialect, name), "=", value);
  }
  if (filter.q) {
    const prefix = `${escapeLike(filter.q.trim())}%`;
    const lower = `${escapeLike(filter.q.trim().toLowerCase())}%`;
    q = q.where((eb) =>
      eb.or([
        eb("email", "like", sql<string>`${lower} escape '\\'`),
        eb("user_id", "like", sql<string>`${prefix} escape '\\'`),
        eb("phone", "like", sql<string>`${prefix} escape '\\'`),
      ]),
    );
  }
  if (cursor !== null) q = q.where("id", ">", decodeCursor(cursor));
  const rows = await q
    .orderBy("id")
    .limit(limit + 1)
    .execute();
  const data = rows.slice(0, limit).map(toCustomer);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}

/**
 * A custom attribute as text on both dialects: strings as they are, numbers and booleans in
 * their JSON spelling ("30", "true"), so a query-string value can be compared with it.
 */
function attributeText(dialect: DialectName, name: string) {
  if (dialect === "postgres") return sql<string>`attributes ->> ${name}`;
  const path = jsonKeyPath(name);
  return sql<string>`(case json_type(attributes, ${path}) when 'true' then 'true' when 'false' then 'false' else cast(json_extract(attributes, ${path}) as text) end)`;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const encodeCursor = (id: string) => Buffer.from(JSON.stringify({ after: id })).toString("base64url");

function decodeCursor(cursor: string): string {
  try {
    const after = (JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { after?: unknown })
      .after;
    if (typeof after === "string") return after;
  } catch {}
  throw new JourneysError("bad_request", "invalid_cursor", "cursor is not one this API returned");
}
