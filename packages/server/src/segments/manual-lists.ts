import type { Kysely } from "kysely";
import { CsvError, readCsv } from "../customers/csv";
import { JourneysError, notFound } from "../errors";
import type { Resources } from "../resources";
import type { Database } from "../store/schema";
import { loadSegments } from "./catalog";
import { businessIn, recomputeWithDependents } from "./segments";
import { recordSizes } from "./sizes";
import { withSegmentTransaction } from "./transaction";

/**
 * Manual lists (`rule: null`): members are set by hand — replaced or appended — from a JSON
 * list of customer ids or a CSV whose `id`, `userId` or `email` column names the customers.
 * Every change is a joined / left membership event, and segments that read the list through
 * `inSegment` are recomputed in the same transaction.
 */
export type IdentifierKind = "id" | "userId" | "email";

/** One row of the input: where it was (`index` in a JSON list, `line` in a CSV) and its value. */
export interface ListEntry {
  index?: number;
  line?: number;
  value: string;
}

export interface ListInput {
  kind: IdentifierKind;
  entries: ListEntry[];
}

export interface UnknownEntry extends ListEntry {
  reason: "unknown_customer" | "empty";
}

export interface ListChange {
  size: number;
  joined: number;
  left: number;
  /** Rows that named no customer of the business. */
  unknown: UnknownEntry[];
}

const COLUMNS: Record<string, IdentifierKind> = {
  id: "id",
  userid: "userId",
  user_id: "userId",
  email: "email",
};
const PRIORITY: IdentifierKind[] = ["id", "userId", "email"];

/**
 * Reads a CSV member list; the first of `id`, `userId`, `email` among its headers is used.
 * Blank lines are skipped.
 */
export async function listFromCsv(body: string | Buffer): Promise<ListInput> {
  const [header, ...rows] = (await csvRecords(body)).filter((r) => r.fields.length > 1 || r.fields[0] !== "");
  const columns = new Map<IdentifierKind, number>();
  header?.fields.forEach((name, i) => {
    const kind = COLUMNS[name.trim().toLowerCase()];
    if (kind && !columns.has(kind)) columns.set(kind, i);
  });
  const kind = PRIORITY.find((k) => columns.has(k));
  if (kind === undefined) {
    throw new JourneysError(
      "bad_request",
      "invalid_csv",
      "the CSV needs a header row with a column named id, userId or email",
    );
  }
  const column = columns.get(kind)!;
  return { kind, entries: rows.map((r) => ({ line: r.line, value: (r.fields[column] ?? "").trim() })) };
}

async function csvRecords(body: string | Buffer) {
  try {
    return await readCsv(body);
  } catch (error) {
    if (error instanceof CsvError) {
      throw new JourneysError("bad_request", "invalid_csv", `the file is not valid CSV: ${error.message}`, {
        line: error.line,
      });
    }
    throw error;
  }
}

const CHUNK = 500;

async function resolve(
  db: Kysely<Database>,
  businessId: string,
  input: ListInput,
): Promise<{ ids: Set<string>; unknown: UnknownEntry[] }> {
  const column = input.kind === "id" ? "id" : input.kind === "userId" ? "user_id" : "email";
  const normalise = (v: string) => (input.kind === "email" ? v.trim().toLowerCase() : v.trim());
  const values = [...new Set(input.entries.map((e) => normalise(e.value)).filter(Boolean))];
  const found = new Map<string, string>();
  for (let i = 0; i < values.length; i += CHUNK) {
    const rows = await db
      .selectFrom("customers")
      .select(["id", column])
      .where("business_id", "=", businessId)
      .where(column, "in", values.slice(i, i + CHUNK))
      .execute();
    for (const row of rows) {
      const key = (row as Record<string, string | null>)[column];
      if (key) found.set(key, row.id);
    }
  }
  const ids = new Set<string>();
  const unknown: UnknownEntry[] = [];
  for (const entry of input.entries) {
    const value = normalise(entry.value);
    const id = value ? found.get(value) : undefined;
    if (id) ids.add(id);
    else unknown.push({ ...entry, reason: value ? "unknown_customer" : "empty" });
  }
  return { ids, unknown };
}

/** Replaces (`replace`) or adds to (`append`) the members of a manual list. */
export async function changeListMembers(
  r: Resources,
  businessId: string,
  segmentId: string,
  input: ListInput,
  mode: "replace" | "append",
): Promise<ListChange> {
  return withSegmentTransaction(r.store, businessId, async (scan) => {
    const business = await businessIn(scan.db, businessId);
    const now = r.clock.now();
    const segments = await loadSegments(scan.db, businessId);
    const segment = segments.find((s) => s.id === segmentId);
    if (!segment) throw notFound("segment");
    if (segment.rule !== null) {
      throw new JourneysError(
        "conflict",
        "not_a_manual_list",
        `segment ${segmentId} has a rule; only manual lists (rule null) take members by hand`,
      );
    }
    const { ids, unknown } = await resolve(scan.db, businessId, input);
    // A replace whose rows name nobody is far likelier a wrong column or separator than a wish
    // to empty the list (send an empty list for that).
    if (mode === "replace" && ids.size === 0 && unknown.length > 0) {
      throw new JourneysError(
        "unprocessable",
        "no_customers_matched",
        `none of the ${unknown.length} rows names a customer of this business; the list was left as it was`,
        { unknown: unknown.slice(0, 20) },
      );
    }
    const current = await scan.members(segmentId);
    const joined = await scan.join(
      segmentId,
      [...ids].filter((id) => !current.has(id)),
      now,
    );
    const left =
      mode === "replace"
        ? await scan.leave(
            segmentId,
            [...current].filter((id) => !ids.has(id)),
            now,
          )
        : [];
    const size = current.size + joined.length - left.length;
    await recordSizes(scan.db, businessId, new Map([[segmentId, size]]), now);
    if (joined.length > 0 || left.length > 0) {
      await recomputeWithDependents(scan, segments, [segmentId], now, business.settings.emailOptOut);
    }
    return { size, joined: joined.length, left: left.length, unknown };
  });
}
