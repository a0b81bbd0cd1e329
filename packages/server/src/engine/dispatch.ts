import type { ProviderCache } from "../channels/providers";
import { dispatchDue } from "../dispatcher/dispatch";
import type { Dispatch } from "./loop";

/**
 * The dispatcher as one step of `settle`: sends one batch of due deliveries and says how many
 * it handled, so settling goes on until the outbox has nothing due.
 */
export function dispatchStep(providers: ProviderCache, publicUrl: string): Dispatch {
  return async (r) => (await dispatchDue(r, { providers, publicUrl })).claimed;
}
