import { type JourneyDefinition, migrateDefinition, type PlanProblem } from "@journeys/core";
import { JourneysError } from "../errors";
import { readJson } from "../store/json";
import type { JourneysTable } from "../store/schema";

/** Lifecycle states. Stored strings: never renamed. */
export type JourneyStatus = "draft" | "active" | "paused" | "archived";

/**
 * A journey as the API shows it (DESIGN §5): the definition's trigger, start and nodes at the
 * top level, beside the lifecycle fields.
 */
export interface Journey {
  id: string;
  name: string;
  status: JourneyStatus;
  version: number;
  run: number;
  /** The version new entrants get; null until first activated. */
  publishedVersion: number | null;
  trigger: JourneyDefinition["trigger"];
  start: string;
  nodes: JourneyDefinition["nodes"];
  createdAt: number;
  updatedAt: number;
  activatedAt: number | null;
  archivedAt: number | null;
}

/** A stored definition, migrated to the current schema version (never reinterpreted). */
export function storedDefinition(raw: unknown): JourneyDefinition {
  const migrated = migrateDefinition(readJson(raw));
  if (!migrated.ok)
    throw new Error(`stored journey definition does not parse: ${migrated.error[0]?.message}`);
  return migrated.value;
}

/** The definition a journey holds now (its trigger, start and steps), as core reads it. */
export function definitionOf(journey: Pick<Journey, "trigger" | "start" | "nodes">): JourneyDefinition {
  return { schemaVersion: 1, trigger: journey.trigger, start: journey.start, nodes: journey.nodes };
}

export function toJourney(row: JourneysTable): Journey {
  const definition = storedDefinition(row.definition);
  return {
    id: row.id,
    name: row.name,
    status: row.status as JourneyStatus,
    version: Number(row.version),
    run: Number(row.run),
    publishedVersion: row.published_version === null ? null : Number(row.published_version),
    trigger: definition.trigger,
    start: definition.start,
    nodes: definition.nodes,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    activatedAt: row.activated_at === null ? null : Number(row.activated_at),
    archivedAt: row.archived_at === null ? null : Number(row.archived_at),
  };
}

/** A plan refusal as an HTTP-mapped error: no module → 403, over a limit → 402. */
export function planError(
  problem: Pick<PlanProblem, "code" | "message"> & Partial<PlanProblem>,
  details: unknown = { plan: problem.plan, limit: problem.limit, upgradeTo: problem.upgradeTo },
): JourneysError {
  return new JourneysError(
    problem.code === "plan_required" ? "forbidden" : "payment_required",
    problem.code,
    problem.message,
    details,
  );
}
