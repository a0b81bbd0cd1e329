import { checkLimit, type JourneyDefinition, parseDefinition } from "@journeys/core";
import { getBusiness } from "../accounts/businesses";
import { JourneysError, notFound } from "../errors";
import { assertNameFree, freeName, withUniqueName } from "../names/unique-names";
import type { Resources } from "../resources";
import { writeJson } from "../store/json";
import { assertActivatable } from "./activation";
import { type Journey, planError, storedDefinition, toJourney } from "./journey";

/** What a client sends to create or update a journey (DESIGN §5 without the lifecycle fields). */
export interface JourneyInput {
  name?: string;
  trigger?: unknown;
  start?: unknown;
  nodes?: unknown;
}

type Db = Resources["store"]["db"];

/** Parses a definition from a client, 400 with every problem and its JSON path. */
export function definitionFrom(input: {
  trigger?: unknown;
  start?: unknown;
  nodes?: unknown;
}): JourneyDefinition {
  const parsed = parseDefinition({ trigger: input.trigger, start: input.start, nodes: input.nodes });
  if (!parsed.ok) {
    throw new JourneysError(
      "bad_request",
      "invalid_journey",
      parsed.error.map((p) => `${p.path}: ${p.message}`).join("; "),
      {
        problems: parsed.error,
      },
    );
  }
  return parsed.value;
}

/** Journeys that are not archived count toward the plan's journey limit (DESIGN §1). */
export async function assertJourneyAllowance(
  db: Db,
  businessId: string,
  plan: Parameters<typeof checkLimit>[0],
  excluding?: string,
) {
  let q = db
    .selectFrom("journeys")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("business_id", "=", businessId)
    .where("status", "!=", "archived");
  if (excluding) q = q.where("id", "!=", excluding);
  const current = Number((await q.executeTakeFirstOrThrow()).n);
  const verdict = checkLimit(plan, "journeys", current);
  if (!verdict.ok) throw planError(verdict.problem);
}

export async function createJourney(r: Resources, businessId: string, input: JourneyInput): Promise<Journey> {
  const name = input.name?.trim();
  if (!name) throw new JourneysError("bad_request", "invalid_journey", "a journey needs a name");
  const definition = definitionFrom(input);
  const business = await getBusiness(r, businessId);
  const now = r.clock.now();
  const id = r.newId("jrn");
  await withUniqueName("journey", name, () =>
    r.store.db.transaction().execute(async (trx) => {
      await assertJourneyAllowance(trx, businessId, business.plan);
      await assertNameFree(trx, "journey", businessId, name);
      await trx
        .insertInto("journeys")
        .values({
          business_id: businessId,
          id,
          name,
          status: "draft",
          version: 1,
          run: 0,
          definition: writeJson(definition),
          published_version: null,
          created_at: now,
          updated_at: now,
          activated_at: null,
          archived_at: null,
        })
        .execute();
    }),
  );
  return getJourney(r, businessId, id);
}

export async function getJourney(
  r: Resources | { store: { db: Db } },
  businessId: string,
  id: string,
): Promise<Journey> {
  const row = await r.store.db
    .selectFrom("journeys")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw notFound("journey");
  return toJourney(row);
}

export async function listJourneys(
  r: Resources,
  businessId: string,
  includeArchived: boolean,
): Promise<Journey[]> {
  let q = r.store.db.selectFrom("journeys").selectAll().where("business_id", "=", businessId);
  if (!includeArchived) q = q.where("status", "!=", "archived");
  return (await q.orderBy("id").execute()).map(toJourney);
}

/**
 * Edits a journey. While it is active its entry trigger is locked (409 `trigger_locked`: pause
 * first), and changed steps are published as a new version at once — new entrants get it, so
 * it must pass what activation checks (else refused as activation refuses, nothing saved);
 * in-flight customers stay on the version they entered with. Drafts and paused journeys are
 * checked when activated. An archived journey cannot change.
 */
export async function updateJourney(
  r: Resources,
  businessId: string,
  id: string,
  input: JourneyInput,
): Promise<Journey> {
  const rename = input.name?.trim() ?? "";
  return withUniqueName("journey", rename, () =>
    r.store.db.transaction().execute(async (trx) => {
      // Serialised with activate / pause / archive and other edits: the status read here holds
      // until the commit, so what is published has passed the checks.
      await lockJourney(trx, businessId, id);
      const current = await getJourney({ store: { db: trx } }, businessId, id);
      if (current.status === "archived")
        throw new JourneysError("conflict", "journey_archived", "an archived journey cannot be edited");
      const definition = definitionFrom({
        trigger: input.trigger ?? current.trigger,
        start: input.start ?? current.start,
        nodes: input.nodes ?? current.nodes,
      });
      const triggerChanged = JSON.stringify(definition.trigger) !== JSON.stringify(current.trigger);
      if (current.status === "active" && triggerChanged) {
        throw new JourneysError(
          "conflict",
          "trigger_locked",
          "the entry trigger of an active journey cannot be edited: pause the journey first, then reactivate it",
        );
      }
      const stepsChanged =
        definition.start !== current.start ||
        JSON.stringify(definition.nodes) !== JSON.stringify(current.nodes);
      const now = r.clock.now();
      const version = stepsChanged || triggerChanged ? current.version + 1 : current.version;
      const publish = current.status === "active" && version !== current.version;
      if (publish)
        await assertActivatable(r, trx, businessId, id, definition, "the edit cannot be published");
      const name = input.name?.trim() || current.name;
      if (name !== current.name) await assertNameFree(trx, "journey", businessId, name, id);
      await trx
        .updateTable("journeys")
        .set({
          name,
          definition: writeJson(definition),
          version,
          ...(publish ? { published_version: version } : {}),
          updated_at: now,
        })
        .where("business_id", "=", businessId)
        .where("id", "=", id)
        .execute();
      if (publish) await publishVersion(trx, businessId, id, version, definition, now);
      if (triggerChanged) await bumpJourneysVersion(trx, businessId);
      return getJourney({ store: { db: trx } }, businessId, id);
    }),
  );
}

export async function duplicateJourney(r: Resources, businessId: string, id: string): Promise<Journey> {
  const source = await getJourney(r, businessId, id);
  return createJourney(r, businessId, {
    name: await freeName(r.store.db, "journey", businessId, `Copy of ${source.name}`),
    trigger: source.trigger,
    start: source.start,
    nodes: source.nodes,
  });
}

export async function listVersions(r: Resources, businessId: string, id: string) {
  await getJourney(r, businessId, id);
  const rows = await r.store.db
    .selectFrom("journey_versions")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("journey_id", "=", id)
    .orderBy("version", "desc")
    .execute();
  return rows.map((row) => {
    const definition = storedDefinition(row.definition);
    return {
      version: Number(row.version),
      createdAt: Number(row.created_at),
      trigger: definition.trigger,
      start: definition.start,
      nodes: definition.nodes,
    };
  });
}

/** Stores a published version (idempotent). */
export async function publishVersion(
  db: Db,
  businessId: string,
  journeyId: string,
  version: number,
  definition: JourneyDefinition,
  now: number,
) {
  await db
    .insertInto("journey_versions")
    .values({
      business_id: businessId,
      journey_id: journeyId,
      version,
      definition: writeJson(definition),
      created_at: now,
    })
    .onConflict((oc) => oc.columns(["business_id", "journey_id", "version"]).doNothing())
    .execute();
}

/** Tells every process that caches journey triggers to reload them. */
export async function bumpJourneysVersion(db: Db, businessId: string) {
  await db
    .updateTable("businesses")
    .set((eb) => ({ journeys_version: eb("journeys_version", "+", 1) }))
    .where("id", "=", businessId)
    .execute();
}

/** Serialises lifecycle changes and edits of one journey (PostgreSQL row lock; SQLite has one writer). */
export async function lockJourney(db: Db, businessId: string, id: string): Promise<void> {
  await db
    .updateTable("journeys")
    .set((eb) => ({ updated_at: eb.ref("updated_at") }))
    .where("business_id", "=", businessId)
    .where("id", "=", id)
    .execute();
}
