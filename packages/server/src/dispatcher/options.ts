import type { ProviderCache } from "../channels/providers";
import { DEFAULT_RETRY, type RetryPolicy } from "./backoff";

/**
 * How the dispatcher runs. Only `providers` and `publicUrl` have no default.
 *
 * @example
 *   const options: DispatchOptions = { providers: new ProviderCache(buildProvider(r.outbound)), publicUrl: "https://journeys.example.com" };
 */
export interface DispatchOptions {
  providers: ProviderCache;
  /** Where this installation is reachable from the internet; unsubscribe links point here. */
  publicUrl: string;
  /** Deliveries claimed per statement (default 200). */
  batchSize?: number;
  /**
   * How long a claim is held (default 60 s). Longer than a send can take (the SMTP socket
   * timeout is 30 s), so a live worker never loses its lease mid-send.
   */
  leaseMs?: number;
  /** Sends in flight at once within a batch (default 64). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** Uniform in [0, 1); injected so tests can pin the jitter. */
  random?: () => number;
  /** Told about a delivery that hit an unexpected error (it is claimed again after its lease). */
  onError?: (error: unknown, deliveryId: string) => void;
}

export type ResolvedOptions = Required<Omit<DispatchOptions, "retry" | "onError">> &
  Pick<DispatchOptions, "onError"> & { retry: RetryPolicy };

export function resolveOptions(options: DispatchOptions): ResolvedOptions {
  return {
    batchSize: 200,
    leaseMs: 60_000,
    // Sending is latency-bound (one SMTP round trip after another per connection): many sends in flight.
    concurrency: 64,
    random: Math.random,
    ...options,
    publicUrl: options.publicUrl.replace(/\/+$/, ""),
    retry: { ...DEFAULT_RETRY, ...options.retry },
  };
}
