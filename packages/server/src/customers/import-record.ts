import type { Selectable } from "kysely";
import { notFound } from "../errors";
import type { Resources } from "../resources";
import { readJson } from "../store/json";
import type { CustomerImportsTable } from "../store/schema";
import type { CustomerImport, ImportSummary, RejectedRow } from "./import";

/** A running import with no batch committed for this long was cut off (its server stopped). */
export const IMPORT_STALL_MS = 5 * 60_000;

/** An import as recorded, with every rejected row; 404 when the business has none with that id. */
export async function getImport(r: Resources, businessId: string, importId: string): Promise<CustomerImport> {
  const row = await r.store.db
    .selectFrom("customer_imports")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("id", "=", importId)
    .executeTakeFirst();
  if (!row) throw notFound("import");
  const rejections = await r.store.db
    .selectFrom("customer_import_rejections")
    .select(["row", "code", "reason"])
    .where("business_id", "=", businessId)
    .where("import_id", "=", importId)
    .orderBy("row")
    .execute();
  const { rejected: legacy, rejectedRows: _, ...summary } = fromRow(r, row);
  return {
    ...summary,
    rejected: [...legacy, ...rejections.map((x) => ({ row: Number(x.row), code: x.code, reason: x.reason }))],
  };
}

/**
 * The business's imports, newest first — how a client whose import call was cut off (the
 * server stopped) finds what became of it.
 */
export async function listImports(r: Resources, businessId: string, limit: number): Promise<ImportSummary[]> {
  const rows = await r.store.db
    .selectFrom("customer_imports")
    .selectAll()
    .where("business_id", "=", businessId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((row) => {
    const { rejected: _, ...summary } = fromRow(r, row);
    return summary;
  });
}

/**
 * A record's fields, its rows rejected before migration 0006 (kept in the report), and a
 * `running` import that stopped moving shown as failed: nothing else would ever finish it.
 */
function fromRow(
  r: Resources,
  row: Selectable<CustomerImportsTable>,
): ImportSummary & { rejected: RejectedRow[] } {
  const { rejected, ...report } = readJson<
    Pick<CustomerImport, "created" | "updated" | "skipped" | "onDuplicate" | "error"> & {
      rejected?: RejectedRow[];
    }
  >(row.report);
  const recorded = {
    ...report,
    id: row.id,
    status: row.status as CustomerImport["status"],
    totalRows: Number(row.total_rows),
    accepted: Number(row.accepted),
    rejectedRows: Number(row.rejected),
    rejected: rejected ?? [],
    createdAt: Number(row.created_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
  const lastProgress = Number(row.updated_at ?? row.created_at);
  if (recorded.status !== "running" || r.clock.now() - lastProgress <= IMPORT_STALL_MS) return recorded;
  return {
    ...recorded,
    status: "failed",
    error:
      "interrupted: no rows were applied for 5 minutes (the server stopped during the import); " +
      "the counts are the rows applied before that, and importing the file again finishes it",
  };
}
