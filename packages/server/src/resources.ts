import type { SecretBox } from "./channels/secret-box";
import type { Clock } from "./clock";
import type { IdGenerator } from "./ids";
import type { Outbound } from "./outbound/outbound";
import type { SegmentCatalogs } from "./segments/catalog";
import type { Store } from "./store/store";
import type { TemplateRenderer } from "./templates/render-threads";

/**
 * What every system of the server shares, injected once at start (no global singletons).
 * Tests build their own with a manual clock and a throwaway store.
 */
export interface Resources {
  store: Store;
  clock: Clock;
  newId: IdGenerator;
  /** This process's cache of parsed segment rules. */
  catalogs: SegmentCatalogs;
  /** The guard every connection a tenant's set-up names goes through (JOURNEYS_ALLOW_PRIVATE_NETWORK). */
  outbound: Outbound;
  /** Renders templates off the main thread, fairly between businesses. */
  renderer: TemplateRenderer;
  /** Encrypts channel secrets at rest (JOURNEYS_SECRET_KEY). */
  secrets: SecretBox;
}
