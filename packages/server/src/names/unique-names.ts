import type { Kysely } from "kysely";
import { sql } from "kysely";
import { JourneysError } from "../errors";
import type { Database } from "../store/schema";
import { isUniqueViolation } from "../store/unique-violation";

/**
 * Names of segments, templates and journeys are unique per business, compared without case, so
 * "Joins segment Pro plan" names one segment. Archived journeys keep their names out of the way
 * (an archived "Welcome" does not stop a new one). Each table has a unique index on
 * `(business_id, lower(name))` (migration 0013) that holds under races; these checks answer
 * first, with the clashing object's id.
 */
export type NamedKind = "segment" | "template" | "journey";

const TABLES = { segment: "segments", template: "templates", journey: "journeys" } as const;
export const NAME_INDEXES: Record<NamedKind, string> = {
  segment: "segments_name",
  template: "templates_name",
  journey: "journeys_name",
};

/** 409 `name_taken` naming the clash. */
export function nameTaken(kind: NamedKind, name: string, id?: string): JourneysError {
  return new JourneysError(
    "conflict",
    "name_taken",
    `a ${kind} named "${name}" already exists${id ? ` (${id})` : ""}: names are unique per business`,
    { field: "name", ...(id ? { id } : {}) },
  );
}

/** Throws 409 when another object of `kind` in the business has this name (case aside). */
export async function assertNameFree(
  db: Kysely<Database>,
  kind: NamedKind,
  businessId: string,
  name: string,
  exceptId?: string,
): Promise<void> {
  const clash = await nameHolder(db, kind, businessId, name, exceptId);
  if (clash) throw nameTaken(kind, name, clash);
}

async function nameHolder(
  db: Kysely<Database>,
  kind: NamedKind,
  businessId: string,
  name: string,
  exceptId?: string,
): Promise<string | null> {
  let q = db
    .selectFrom(TABLES[kind])
    .select("id")
    .where("business_id", "=", businessId)
    .where(sql`lower(name)`, "=", sql`lower(${name})`);
  if (exceptId) q = q.where("id", "!=", exceptId);
  if (kind === "journey") q = q.where(sql.ref("status"), "!=", "archived");
  const row = await q.executeTakeFirst();
  return row?.id ?? null;
}

/**
 * The first of `name`, `name (2)`, `name (3)`… that is free: for copies ("Copy of Welcome").
 *
 * @example await freeName(db, "journey", "bus_…", "Copy of Welcome") // "Copy of Welcome (2)"
 */
export async function freeName(
  db: Kysely<Database>,
  kind: NamedKind,
  businessId: string,
  name: string,
): Promise<string> {
  for (let n = 1; n < 1000; n++) {
    const candidate = n === 1 ? name : `${name} (${n})`;
    if (!(await nameHolder(db, kind, businessId, candidate))) return candidate;
  }
  return `${name} (${Date.now()})`;
}

/** Runs a write, answering a lost race on the name index as 409 like the check does. */
export async function withUniqueName<T>(kind: NamedKind, name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error, NAME_INDEXES[kind])) throw nameTaken(kind, name);
    throw error;
  }
}
