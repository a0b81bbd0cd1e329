import { after, before } from "node:test";
import { type Clock, systemClock } from "../clock";
import { newId } from "../ids";
import type { Resources } from "../resources";
import { SegmentCatalogs } from "../segments/catalog";
import type { TestDialect, TestStore } from "./dialects";

/** Opens a fresh store of `dialect` before the suite and drops it after. */
export function useStore(
  dialect: TestDialect,
  options: { clock?: () => Clock } = {},
): { store: TestStore; resources: Resources } {
  const ctx = {} as { store: TestStore; resources: Resources };
  before(async () => {
    if (dialect.skip) return;
    ctx.store = await dialect.open();
    ctx.resources = {
      store: ctx.store,
      clock: options.clock?.() ?? systemClock,
      newId,
      catalogs: new SegmentCatalogs(),
    };
  });
  after(async () => {
    await ctx.store?.drop();
  });
  return ctx;
}
