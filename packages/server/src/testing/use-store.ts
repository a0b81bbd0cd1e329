import { after, before } from "node:test";
import { SecretBox } from "../channels/secret-box";
import { type Clock, systemClock } from "../clock";
import { newId } from "../ids";
import type { Outbound } from "../outbound/outbound";
import type { Resources } from "../resources";
import { SegmentCatalogs } from "../segments/catalog";
import { RenderThreads } from "../templates/render-threads";
import type { TestDialect, TestStore } from "./dialects";
import { LOCAL_OUTBOUND } from "./outbound";

/** Opens a fresh store of `dialect` before the suite and drops it after. */
export function useStore(
  dialect: TestDialect,
  options: { clock?: () => Clock; outbound?: Outbound } = {},
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
      outbound: options.outbound ?? LOCAL_OUTBOUND,
      renderer: new RenderThreads(),
      secrets: SecretBox.ephemeral(),
    };
  });
  after(async () => {
    await ctx.resources?.renderer.close();
    await ctx.store?.drop();
  });
  return ctx;
}
