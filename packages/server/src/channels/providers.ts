import type { Outbound } from "../outbound/outbound";
import type { ChannelProvider } from "./provider";
import { providerDefinition } from "./registry";
import { SendSlots } from "./send-slots";
import type { ChannelSetup } from "./setup";

/**
 * Builds providers from channel set-ups and keeps them, one per business and channel, so a
 * pooled transport is reused across deliveries. A changed set-up (another host, a new
 * password) replaces the provider and closes the old one.
 *
 * @example
 *   const providers = new ProviderCache(buildProvider(r.outbound));
 *   const smtp = providers.get("bus_…", setup); // the same object until the set-up changes
 *   await providers.close();
 */
export class ProviderCache {
  readonly #entries = new Map<string, { fingerprint: string; provider: ChannelProvider }>();
  /** Room to send, per provider, shared by every lane that sends through this cache. */
  readonly sendSlots = new SendSlots();

  constructor(
    /** Builds a provider: `buildProvider(outbound)`, the sender thread's, or a test's wrapper. */
    private readonly build: (setup: ChannelSetup) => ChannelProvider | null,
  ) {}

  /** The provider for this set-up, or null when no provider of that name exists. */
  get(businessId: string, setup: ChannelSetup): ChannelProvider | null {
    const key = `${businessId}:${setup.channel}`;
    const fingerprint = `${setup.provider}:${JSON.stringify(setup.config)}`;
    const cached = this.#entries.get(key);
    if (cached?.fingerprint === fingerprint) return cached.provider;
    if (cached) {
      this.#entries.delete(key);
      void cached.provider.close();
    }
    const provider = this.build(setup);
    if (provider) this.#entries.set(key, { fingerprint, provider });
    return provider;
  }

  async close(): Promise<void> {
    const providers = [...this.#entries.values()].map((e) => e.provider);
    this.#entries.clear();
    await Promise.all(providers.map((p) => p.close()));
  }
}

/** Builds providers on this thread, every connection through `outbound`; null for an unknown provider. */
export function buildProvider(outbound: Outbound): (setup: ChannelSetup) => ChannelProvider | null {
  return (setup) => providerDefinition(setup.channel, setup.provider)?.create(setup.config, outbound) ?? null;
}
