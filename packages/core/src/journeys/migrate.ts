/**
 * Upgrading stored definitions. A definition is stored with the `schemaVersion` it was written
 * in and is migrated on read, one version at a time, never reinterpreted: the meaning a customer's
 * journey had when it was saved is the meaning it keeps. Only version 1 exists today, so the real
 * table is empty; the mechanism is exercised by tests with a made-up version 0.
 *
 * @example
 *   const definition = migrateDefinition(JSON.parse(row.definition));
 *   if (!definition.ok) throw new Error(definition.error[0]?.message);
 */
import { err, type Result } from "../result";
import { JOURNEY_SCHEMA_VERSION, type JourneyDefinition } from "./definition";
import { type DefinitionProblem, parseDefinition } from "./parse";

/** Raw JSON of one schema version, before it has been checked. */
export type StoredDefinition = Record<string, unknown>;

/**
 * Upgrade steps keyed by the version they read: `steps[n]` turns a version-n document into a
 * version-(n + 1) one. A step gets unchecked JSON; it rewrites what it knows and leaves the rest
 * for `parseDefinition` to judge. It need not set `schemaVersion`: the runner does.
 */
export type MigrationSteps = Readonly<Record<number, (doc: StoredDefinition) => StoredDefinition>>;

/**
 * The real upgrade steps. When schema 2 arrives: add `1: (v1) => v2` here and bump
 * `JOURNEY_SCHEMA_VERSION`.
 */
export const JOURNEY_MIGRATIONS: MigrationSteps = {};

/**
 * Reads a stored definition of any known schema version, upgrades it to the current one and
 * checks it. A missing `schemaVersion` is read as the current version, as `parseDefinition` does.
 *
 * @example migrateDefinition({ schemaVersion: 1, trigger, start: "a", nodes }) // → ok(definition)
 */
export function migrateDefinition(
  stored: unknown,
  steps: MigrationSteps = JOURNEY_MIGRATIONS,
): Result<JourneyDefinition, DefinitionProblem[]> {
  if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return parseDefinition(stored);
  let doc = stored as StoredDefinition;
  let version = doc.schemaVersion ?? JOURNEY_SCHEMA_VERSION;
  if (typeof version !== "number" || !Number.isInteger(version) || version > JOURNEY_SCHEMA_VERSION) {
    return unsupported(`This server reads journey schema versions up to ${JOURNEY_SCHEMA_VERSION}.`);
  }
  while (version < JOURNEY_SCHEMA_VERSION) {
    const upgrade = Object.hasOwn(steps, version) ? steps[version] : undefined;
    if (!upgrade) return unsupported(`There is no migration from journey schema version ${version}.`);
    version += 1;
    doc = { ...upgrade(doc), schemaVersion: version };
  }
  return parseDefinition(doc);
}

function unsupported(message: string): Result<never, DefinitionProblem[]> {
  return err([{ path: "$.schemaVersion", code: "unsupported_schema_version", message }]);
}
