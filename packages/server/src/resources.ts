import type { Clock } from "./clock";
import type { IdGenerator } from "./ids";
import type { SegmentCatalogs } from "./segments/catalog";
import type { Store } from "./store/store";

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
}
