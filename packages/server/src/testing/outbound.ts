import { buildProvider, ProviderCache } from "../channels/providers";
import { Outbound } from "../outbound/outbound";

/**
 * Tests talk to servers of their own on 127.0.0.1 (SMTP, provider stand-ins), which the
 * outbound guard refuses by default: this is JOURNEYS_ALLOW_PRIVATE_NETWORK=true, as a test
 * environment sets it. Tests of the guard itself make an `Outbound` of their own.
 */
export const LOCAL_OUTBOUND = new Outbound({ allowPrivateNetwork: true });

/** A provider cache building providers on this thread, allowed to reach 127.0.0.1. */
export function localProviders(): ProviderCache {
  return new ProviderCache(buildProvider(LOCAL_OUTBOUND));
}
