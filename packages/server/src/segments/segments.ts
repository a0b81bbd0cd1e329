import {
  affectedSegments,
  type Condition,
  type ConditionProblem,
  checkLimit,
  dependencies,
  orderSegments,
  parseCondition,
  type Segment,
  type SegmentGraphProblem,
} from "@journeys/core";
import { type Business, readBusiness } from "../accounts/businesses";
import { JourneysError, notFound } from "../errors";
import { assertNameFree } from "../names/unique-names";
import type { Resources } from "../resources";
import { writeJson } from "../store/json";
import { buildCatalog, loadSegments } from "./catalog";
import { syncCounters } from "./counters";
import { journeysUsingSegment } from "./journey-references";
import { normalisePhoneRules } from "./phone-rules";
import { recomputeSegments } from "./recompute";
import type { MembershipScan } from "./scan";
import { memberCounts, recordSizes } from "./sizes";
import { withSegmentTransaction } from "./transaction";

/**
 * Segments of a business: create, update, delete, get, list. Every change, in one transaction:
 * validates the rule (400 `invalid_rule`, every problem with its JSON path) and the business's
 * whole segment graph (422 `segment_cycle` / `unknown_segment`), enforces the plan's segment
 * limit (402), refuses to delete a segment that another segment or a journey that is not
 * archived uses (409 `segment_in_use`), brings event counters in line (backfilling history), bumps
 * `businesses.segments_version` (so every process's SegmentCatalogs refreshes), and recomputes
 * the segment and the segments that read it, writing joined / left membership events.
 *
 * @example
 *   const segment = await createSegment(r, businessId, {
 *     name: "Recent buyers",
 *     rule: { event: "Purchased", op: "atLeast", count: 1, withinDays: 30 },
 *   });
 */
export interface SegmentView extends Segment {
  size: number;
  createdAt: number;
  updatedAt: number;
}

export interface SegmentInput {
  name: string;
  /** Untrusted JSON: a Condition, or null for a manual list. */
  rule: unknown;
}

/** Validates a rule from the outside world; null is a manual list. */
export function parseRule(input: unknown): Condition | null {
  if (input === null) return null;
  const parsed = parseCondition(input, { path: "rule" });
  if (!parsed.ok) throw invalidRule(parsed.error);
  const phones = normalisePhoneRules(parsed.value, "rule");
  if (phones.problems.length > 0) throw invalidRule(phones.problems);
  return phones.rule;
}

function invalidRule(problems: ConditionProblem[]): JourneysError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : "";
  return new JourneysError("bad_request", "invalid_rule", `${first.path}: ${first.message}${more}`, {
    problems,
  });
}

/** Refuses a segment set whose `inSegment` references loop or name no segment. */
export function assertGraph(segments: readonly Segment[]): void {
  const ordered = orderSegments(segments);
  if (ordered.ok) return;
  const problems: SegmentGraphProblem[] = ordered.error;
  const first = problems.find((p) => p.code !== "duplicate_segment") ?? problems[0]!;
  throw new JourneysError("unprocessable", first.code, first.message, { problems });
}

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new JourneysError("bad_request", "invalid_name", "a segment needs a name");
  return trimmed;
}

export async function listSegments(r: Resources, businessId: string): Promise<SegmentView[]> {
  const rows = await r.store.db
    .selectFrom("segments")
    .selectAll()
    .where("business_id", "=", businessId)
    .orderBy("id")
    .execute();
  const sizes = await memberCounts(r.store.db, businessId);
  const segments = await loadSegments(r.store.db, businessId);
  const rules = new Map(segments.map((s) => [s.id, s.rule]));
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    rule: rules.get(row.id) ?? null,
    size: sizes.get(row.id) ?? 0,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }));
}

export async function getSegment(r: Resources, businessId: string, segmentId: string): Promise<SegmentView> {
  const found = (await listSegments(r, businessId)).find((s) => s.id === segmentId);
  if (!found) throw notFound("segment");
  return found;
}

export async function createSegment(
  r: Resources,
  businessId: string,
  input: SegmentInput,
): Promise<SegmentView> {
  const name = cleanName(input.name);
  const rule = parseRule(input.rule);
  const id = r.newId("seg");
  await withSegmentTransaction(r.store, businessId, async (scan) => {
    const business = await businessIn(scan.db, businessId);
    const now = r.clock.now();
    const before = await loadSegments(scan.db, businessId);
    const verdict = checkLimit(business.plan, "segments", before.length);
    if (!verdict.ok) {
      const { code, message, ...details } = verdict.problem;
      throw new JourneysError("payment_required", code, message, details);
    }
    await assertNameFree(scan.db, "segment", businessId, name);
    const after = [...before, { id, name, rule }];
    assertGraph(after);
    await scan.db
      .insertInto("segments")
      .values({
        business_id: businessId,
        id,
        name,
        rule: rule === null ? null : writeJson(rule),
        created_at: now,
        updated_at: now,
      })
      .execute();
    await applyChange(scan, business, before, after, rule === null ? [] : [id], now);
    if (rule === null) await recordSizes(scan.db, businessId, new Map([[id, 0]]), now);
  });
  return getSegment(r, businessId, id);
}

export async function updateSegment(
  r: Resources,
  businessId: string,
  segmentId: string,
  input: Partial<SegmentInput>,
): Promise<SegmentView> {
  const name = input.name === undefined ? undefined : cleanName(input.name);
  const rule = input.rule === undefined ? undefined : parseRule(input.rule);
  await withSegmentTransaction(r.store, businessId, async (scan) => {
    const business = await businessIn(scan.db, businessId);
    const now = r.clock.now();
    const before = await loadSegments(scan.db, businessId);
    const old = before.find((s) => s.id === segmentId);
    if (!old) throw notFound("segment");
    const updated: Segment = {
      id: segmentId,
      name: name ?? old.name,
      rule: rule === undefined ? old.rule : rule,
    };
    if (name !== undefined) await assertNameFree(scan.db, "segment", businessId, name, segmentId);
    const after = before.map((s) => (s.id === segmentId ? updated : s));
    assertGraph(after);
    await scan.db
      .updateTable("segments")
      .set({
        name: updated.name,
        rule: updated.rule === null ? null : writeJson(updated.rule),
        updated_at: now,
      })
      .where("business_id", "=", businessId)
      .where("id", "=", segmentId)
      .execute();
    const ruleChanged = JSON.stringify(old.rule) !== JSON.stringify(updated.rule);
    // A manual list keeps the members it had when a rule is removed: nothing to recompute.
    await applyChange(scan, business, before, after, ruleChanged && updated.rule ? [segmentId] : [], now);
  });
  return getSegment(r, businessId, segmentId);
}

export async function deleteSegment(r: Resources, businessId: string, segmentId: string): Promise<void> {
  await withSegmentTransaction(r.store, businessId, async (scan) => {
    const business = await businessIn(scan.db, businessId);
    const before = await loadSegments(scan.db, businessId);
    if (!before.some((s) => s.id === segmentId)) throw notFound("segment");
    const readers = before
      .filter((s) => s.rule && dependencies(s.rule).segments.has(segmentId))
      .map((s) => ({ id: s.id, name: s.name }));
    // Its members would go without `left` events: customers a journey enrolled on it would
    // never exit, and its splits would ask about a segment that no longer exists.
    const journeys = await journeysUsingSegment(scan.db, businessId, segmentId);
    if (readers.length > 0 || journeys.length > 0) {
      const users = [
        ...readers.map((s) => `segment "${s.name}" (${s.id})`),
        ...journeys.map((j) => `journey "${j.name}" (${j.id})`),
      ];
      throw new JourneysError(
        "conflict",
        "segment_in_use",
        `segment ${segmentId} is used by ${users.join(", ")}; change those segments or archive those journeys first`,
        { readers, journeys },
      );
    }
    const after = before.filter((s) => s.id !== segmentId);
    // The segment is gone, so there is nothing left to leave: members go without `left` events.
    for (const table of ["segment_members", "segment_sizes"] as const) {
      await scan.db
        .deleteFrom(table)
        .where("business_id", "=", businessId)
        .where("segment_id", "=", segmentId)
        .execute();
    }
    await scan.db
      .deleteFrom("segments")
      .where("business_id", "=", businessId)
      .where("id", "=", segmentId)
      .execute();
    await applyChange(scan, business, before, after, [], r.clock.now());
  });
}

/**
 * The common tail of every change: counters, the version bump, and the recompute of
 * `changed` (segments whose rule changed) and of everything that reads them.
 */
async function applyChange(
  scan: MembershipScan,
  business: Business,
  before: readonly Segment[],
  after: readonly Segment[],
  changed: readonly string[],
  now: number,
): Promise<void> {
  await syncCounters(scan, before, after, now);
  await scan.db
    .updateTable("businesses")
    .set((eb) => ({ segments_version: eb("segments_version", "+", 1) }))
    .where("id", "=", business.id)
    .execute();
  if (changed.length === 0) return;
  await recomputeWithDependents(scan, after, changed, now, business.settings.emailOptOut);
}

/** Recomputes `changed` and, in graph order, every segment that reads them; records sizes. */
export async function recomputeWithDependents(
  scan: MembershipScan,
  segments: readonly Segment[],
  changed: readonly string[],
  now: number,
  emailOptOut: boolean,
): Promise<void> {
  const catalog = buildCatalog(scan.businessId, 0, [...segments]);
  const dependents = new Set(affectedSegments(catalog.index, { segments: changed }));
  const ids = catalog.index.order.filter((id) => changed.includes(id) || dependents.has(id));
  const deltas = await recomputeSegments(scan, catalog.segments, ids, now, emailOptOut);
  await recordSizes(scan.db, scan.businessId, new Map([...deltas].map(([id, d]) => [id, d.size])), now);
}

/**
 * The business as this transaction sees it, under the segment lock a settings change also
 * takes: its plan and its settings (email opt-out) are the ones the recompute must use.
 */
export async function businessIn(db: MembershipScan["db"], businessId: string): Promise<Business> {
  const business = await readBusiness(db, businessId);
  if (!business) throw notFound("business");
  return business;
}
