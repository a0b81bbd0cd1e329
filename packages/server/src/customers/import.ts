import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { JourneysError } from "../errors";
import type { Resources } from "../resources";
import type { SegmentCatalog } from "../segments/catalog";
import { counterCaps } from "../segments/membership";
import { writeJson } from "../store/json";
import type { Database } from "../store/schema";
import { CsvError, parseCsv } from "./csv";
import { type ColumnMapping, type ColumnPlan, planColumns, rowToPatch } from "./import-columns";
import { normaliseEmail, normalisePhone } from "./profile";
import { type SaveProfileContext, saveProfile, withProfileWrites } from "./save-profile";
import { identityHashes } from "./suppression";
import type { CustomerWriter, ReadAhead } from "./writer";

export const IMPORT_LIMITS = {
  bytes: 50 * 1024 * 1024,
  rows: 50_000,
  /** Rows per transaction: large enough to amortise the commit, small enough to keep others waiting briefly. */
  batchRows: 500,
};

/** 413 `file_too_large`, naming the limit. */
export const fileTooLarge = () =>
  new JourneysError(
    "payload_too_large",
    "file_too_large",
    `a CSV import is at most 50 MB (${IMPORT_LIMITS.bytes} bytes); split the file`,
    { limit: IMPORT_LIMITS.bytes },
  );

export type DuplicateStrategy = "update" | "skip";

export interface ImportOptions {
  /** CSV header → target; `attributes.<name>:number|boolean|date` types a column (see `ColumnMapping`). */
  mapping: ColumnMapping;
  /** What a row matching an existing customer (by userId, else email) does. */
  onDuplicate: DuplicateStrategy;
}

export interface RejectedRow {
  /** The spreadsheet row: the header is row 1. */
  row: number;
  reason: string;
  code: string;
}

export interface CustomerImport {
  id: string;
  /** running → completed | failed (a failure keeps the batches committed before it). */
  status: "running" | "completed" | "failed";
  totalRows: number;
  accepted: number;
  created: number;
  updated: number;
  skipped: number;
  rejected: RejectedRow[];
  onDuplicate: DuplicateStrategy;
  createdAt: number;
  finishedAt: number | null;
  error?: string;
}

/** An import without its rejected rows (`rejectedRows` counts them), as the list shows it. */
export type ImportSummary = Omit<CustomerImport, "rejected"> & { rejectedRows: number };

interface Row {
  number: number;
  fields: string[];
}

/** A batch's outcome, added to the import's only once its transaction has committed. */
type Tally = Pick<CustomerImport, "accepted" | "created" | "updated" | "skipped" | "rejected">;

/**
 * Imports customers from a CSV body, in two passes over a spooled copy:
 * 1. the body streams to a temporary file while it is parsed and counted, so an oversize
 *    file (413), one with too many rows (422), broken CSV (422) or a bad mapping (400) is
 *    refused before anything is written;
 * 2. the file is parsed again and applied in transactions of `batchRows` rows, each row
 *    through `saveProfile` (validation, plan limit, erased identities, segment re-evaluation).
 * Neither pass holds more than one batch of rows in memory. The import is recorded in
 * `customer_imports` with its counts and every rejected row.
 *
 * @example
 *   const result = await importCustomers(r, "bus_…", request.raw, { mapping: {}, onDuplicate: "update" });
 */
export async function importCustomers(
  r: Resources,
  businessId: string,
  body: AsyncIterable<Buffer | string>,
  options: ImportOptions,
): Promise<CustomerImport> {
  const dir = mkdtempSync(join(tmpdir(), "journeys-import-"));
  const file = join(dir, "body.csv");
  try {
    const plan = await spoolAndCheck(body, file, options.mapping);
    return await apply(r, businessId, file, plan, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function spoolAndCheck(
  body: AsyncIterable<Buffer | string>,
  file: string,
  mapping: ColumnMapping,
): Promise<ColumnPlan> {
  const out = createWriteStream(file);
  let bytes = 0;
  async function* spooled() {
    for await (const chunk of body) {
      bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
      if (bytes > IMPORT_LIMITS.bytes) throw fileTooLarge();
      if (!out.write(chunk)) await once(out, "drain");
      yield chunk;
    }
  }
  try {
    let plan: ColumnPlan | null = null;
    let rows = 0;
    for await (const record of csvRecords(spooled())) {
      if (plan === null) {
        plan = planColumns(checkHeader(record.fields), mapping);
        continue;
      }
      if (isBlank(record.fields)) continue;
      if (++rows > IMPORT_LIMITS.rows) {
        throw new JourneysError(
          "unprocessable",
          "too_many_rows",
          `a CSV import has at most ${IMPORT_LIMITS.rows.toLocaleString("en-US")} rows; split the file`,
          { limit: IMPORT_LIMITS.rows },
        );
      }
    }
    if (plan === null)
      throw new JourneysError("unprocessable", "invalid_csv", "the file is empty: no header row");
    return plan;
  } finally {
    out.end();
    await once(out, "close");
  }
}

async function* csvRecords(source: AsyncIterable<Buffer | string>) {
  try {
    yield* parseCsv(source, { maxRecordLength: 65_536 });
  } catch (error) {
    if (error instanceof CsvError) {
      throw new JourneysError("unprocessable", "invalid_csv", `the file is not valid CSV: ${error.message}`, {
        line: error.line,
      });
    }
    throw error;
  }
}

function checkHeader(header: string[]): string[] {
  if (isBlank(header))
    throw new JourneysError("unprocessable", "invalid_csv", "the first row must be a header");
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) {
      throw new JourneysError("unprocessable", "invalid_csv", `the header names column "${name}" twice`);
    }
    seen.add(name);
  }
  return header;
}

const isBlank = (fields: string[]) => fields.length === 1 && fields[0]!.trim() === "";

async function apply(
  r: Resources,
  businessId: string,
  file: string,
  plan: ColumnPlan,
  options: ImportOptions,
): Promise<CustomerImport> {
  const result: CustomerImport = {
    id: r.newId("imp"),
    status: "running",
    totalRows: 0,
    accepted: 0,
    created: 0,
    updated: 0,
    skipped: 0,
    rejected: [],
    onDuplicate: options.onDuplicate,
    createdAt: r.clock.now(),
    finishedAt: null,
  };
  await r.store.db
    .insertInto("customer_imports")
    .values(importRow(businessId, summaryOf(result), result.createdAt))
    .execute();
  try {
    let batch: Row[] = [];
    let number = 0;
    const flush = async () => {
      const rows = batch;
      batch = [];
      // The batch's rows, its rejections and the import's new counts commit together: a server
      // killed mid-import leaves a record that says exactly what was applied.
      const tally = await withProfileWrites(
        r,
        businessId,
        async (w, ctx, db) => {
          const t: Tally = { accepted: 0, created: 0, updated: 0, skipped: 0, rejected: [] };
          await w.readAhead?.(readAheadOf(plan, rows, ctx.catalog));
          for (const row of rows) await applyRow(w, ctx, plan, row, options.onDuplicate, t);
          const progress = summaryOf(result);
          for (const key of ["accepted", "created", "updated", "skipped"] as const) progress[key] += t[key];
          progress.rejectedRows += t.rejected.length;
          if (t.rejected.length > 0) {
            await db
              .insertInto("customer_import_rejections")
              .values(t.rejected.map((x) => ({ business_id: businessId, import_id: result.id, ...x })))
              .execute();
          }
          await saveImport(db, businessId, progress, ctx.now);
          return t;
        },
        // The batch reads ahead and writes its appends in one go (PostgreSQL); it reads only
        // the import's own tables through `db`.
        { batched: true },
      );
      result.accepted += tally.accepted;
      result.created += tally.created;
      result.updated += tally.updated;
      result.skipped += tally.skipped;
      result.rejected.push(...tally.rejected);
    };
    for await (const record of csvRecords(createReadStream(file))) {
      number++;
      if (number === 1 || isBlank(record.fields)) continue;
      result.totalRows++;
      batch.push({ number, fields: record.fields });
      if (batch.length >= IMPORT_LIMITS.batchRows) await flush();
    }
    if (batch.length) await flush();
    result.status = "completed";
  } catch (error) {
    result.status = "failed";
    result.error = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    result.finishedAt = r.clock.now();
    await saveImport(r.store.db, businessId, summaryOf(result), result.finishedAt);
  }
  return result;
}

function summaryOf({ rejected, ...rest }: CustomerImport): ImportSummary {
  return { ...rest, rejectedRows: rejected.length };
}

/** Writes the import's status and counts (its rejected rows are written batch by batch). */
async function saveImport(db: Kysely<Database>, businessId: string, i: ImportSummary, at: number) {
  const { business_id, id, ...rest } = importRow(businessId, i, at);
  await db
    .updateTable("customer_imports")
    .set(rest)
    .where("business_id", "=", business_id)
    .where("id", "=", id)
    .execute();
}

/** What a batch of rows will look up: its userIds and emails, and whether they were erased. */
function readAheadOf(plan: ColumnPlan, rows: Row[], catalog: SegmentCatalog): ReadAhead {
  const userIds = new Set<string>();
  const emails = new Set<string>();
  const hashes = new Set<string>();
  for (const row of rows) {
    if (row.fields.length !== plan.targets.length) continue;
    const { patch, problems } = rowToPatch(plan, row.fields);
    if (problems.length > 0) continue;
    const email = patch.email ? normaliseEmail(patch.email) : null;
    const phone = patch.phone ? normalisePhone(patch.phone) : null;
    const identity = {
      userId: patch.userId ?? null,
      email: typeof email === "string" ? email : null,
      phone: typeof phone === "string" ? phone : null,
    };
    if (identity.userId) userIds.add(identity.userId);
    if (identity.email) emails.add(identity.email);
    for (const hash of identityHashes(catalog.businessId, identity)) hashes.add(hash);
  }
  return {
    messageIds: [],
    userIds: [...userIds],
    anonymousIds: [],
    emails: [...emails],
    identityHashes: [...hashes],
    counterCaps: counterCaps(catalog),
  };
}

/**
 * One row, in the batch's transaction. A refused row is reported and changes nothing; an
 * unexpected error fails the batch (rolled back) and the import.
 */
async function applyRow(
  w: CustomerWriter,
  ctx: SaveProfileContext,
  plan: ColumnPlan,
  row: Row,
  onDuplicate: DuplicateStrategy,
  result: Tally,
): Promise<void> {
  const reject = (code: string, reason: string) => result.rejected.push({ row: row.number, code, reason });
  if (row.fields.length !== plan.targets.length) {
    return void reject(
      "wrong_field_count",
      `the row has ${row.fields.length} fields; the header has ${plan.targets.length}`,
    );
  }
  const { patch, problems } = rowToPatch(plan, row.fields);
  if (!patch.userId && !patch.email) {
    return void reject("missing_identity", "a row needs a userId or an email to be matched and imported");
  }
  // Every cell of a declared type that does not read as it, in one reason; the first one's code.
  if (problems[0]) return void reject(problems[0].code, problems.map((p) => p.reason).join("; "));
  try {
    const byUser = patch.userId ? await w.customerByUserId(patch.userId) : null;
    const email = patch.email ? normaliseEmail(patch.email) : null;
    const byEmail = !byUser && typeof email === "string" ? await w.customerByEmail(email) : null;
    if (byEmail?.userId && patch.userId && byEmail.userId !== patch.userId) {
      return void reject(
        "email_taken",
        `email ${email} belongs to another customer (${byEmail.id}, userId ${byEmail.userId})`,
      );
    }
    const existing = byUser ?? byEmail;
    if (existing && onDuplicate === "skip") {
      result.skipped++;
      return;
    }
    const saved = await saveProfile(w, ctx, existing, patch);
    result.accepted++;
    if (saved.created) result.created++;
    else result.updated++;
  } catch (error) {
    if (!(error instanceof JourneysError)) throw error;
    const fields = (error.details as { fields?: { code: string }[] } | undefined)?.fields;
    reject(fields?.[0]?.code ?? error.code, error.message);
  }
}

function importRow(businessId: string, i: ImportSummary, updatedAt: number) {
  const { id, status, totalRows, accepted, rejectedRows, createdAt, finishedAt, ...report } = i;
  return {
    business_id: businessId,
    id,
    status,
    total_rows: totalRows,
    accepted,
    rejected: rejectedRows,
    report: writeJson(report),
    created_at: createdAt,
    finished_at: finishedAt,
    updated_at: updatedAt,
  };
}
