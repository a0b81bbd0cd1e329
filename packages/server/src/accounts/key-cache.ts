import type { Store } from "../store/store";

/** What a key check needs of an `api_keys` row. */
export interface KnownKey {
  businessId: string;
  keyId: string;
  revoked: boolean;
  lastUsedAt: number | null;
}

/** How long a key read from the store is trusted before it is read again. */
export const KEY_CACHE_MS = 1_000;
/** Keys remembered per store at most; the oldest is forgotten first. */
const CAPACITY = 10_000;

/**
 * The API keys a process checked in the last second, by hash, per store. Every ingestion call
 * checks its write key; on the embedded store that read cost more than the rest of a small
 * call's parsing (each commit of the writer makes the reader connection drop its page cache).
 *
 * Only keys found are kept (a new key created by another process works at once; random
 * guesses take no memory). A revocation in this process forgets the key at once; another
 * process sees it within `KEY_CACHE_MS`. Ages are measured on the monotonic clock, not the
 * injectable one: this bounds staleness in real time, whatever a test's clock says.
 */
export class KeyCache {
  readonly #entries = new Map<string, { key: KnownKey; readAt: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  get(hash: string): KnownKey | undefined {
    const entry = this.#entries.get(hash);
    if (!entry) return undefined;
    if (this.now() - entry.readAt < KEY_CACHE_MS) return entry.key;
    this.#entries.delete(hash);
    return undefined;
  }

  set(hash: string, key: KnownKey): void {
    this.#entries.delete(hash);
    if (this.#entries.size >= CAPACITY) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(hash, { key, readAt: this.now() });
  }

  /** Forgets a key (revoked here): the next check reads the store. */
  forget(keyId: string): void {
    for (const [hash, entry] of this.#entries) {
      if (entry.key.keyId === keyId) this.#entries.delete(hash);
    }
  }
}

const caches = new WeakMap<Store, KeyCache>();

/** The key cache of a store (one per store object, so tests' stores never share one). */
export function keyCacheOf(store: Store): KeyCache {
  let cache = caches.get(store);
  if (!cache) {
    cache = new KeyCache();
    caches.set(store, cache);
  }
  return cache;
}
