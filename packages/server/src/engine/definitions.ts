import type { JourneyDefinition } from "@journeys/core";
import { storedDefinition } from "../journeys/journey";
import type { Resources } from "../resources";

type Db = Resources["store"]["db"];

/**
 * Published journey versions never change, so one process keeps each it has read.
 * Enrollments step on the version they entered with.
 */
export class DefinitionCache {
  readonly #cache = new Map<string, JourneyDefinition>();

  async get(
    db: Db,
    businessId: string,
    journeyId: string,
    version: number,
  ): Promise<JourneyDefinition | null> {
    const key = `${businessId}\u0000${journeyId}\u0000${version}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const row = await db
      .selectFrom("journey_versions")
      .select("definition")
      .where("business_id", "=", businessId)
      .where("journey_id", "=", journeyId)
      .where("version", "=", version)
      .executeTakeFirst();
    if (!row) return null;
    const definition = storedDefinition(row.definition);
    this.#cache.set(key, definition);
    return definition;
  }
}
