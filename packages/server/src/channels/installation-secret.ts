import { randomBytes } from "node:crypto";
import type { Store } from "../store/store";

/**
 * A named random key of this installation (32 bytes), created by whichever process asks
 * first and shared by every process on the store: link signing for unsubscribe links,
 * Telegram deep links, tracked clicks. Cached per store and name.
 *
 * @example const key = await installationSecret(store, "unsubscribe");
 */
export function installationSecret(store: Store, name: string): Promise<Buffer> {
  let byName = cache.get(store);
  if (!byName) {
    byName = new Map();
    cache.set(store, byName);
  }
  let secret = byName.get(name);
  if (!secret) {
    secret = loadOrCreate(store, name);
    secret.catch(() => byName.delete(name));
    byName.set(name, secret);
  }
  return secret;
}

const cache = new WeakMap<Store, Map<string, Promise<Buffer>>>();

async function loadOrCreate(store: Store, name: string): Promise<Buffer> {
  await store.db
    .insertInto("installation_secrets")
    .values({ name, value: randomBytes(32).toString("base64url"), created_at: Date.now() })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  const row = await store.db
    .selectFrom("installation_secrets")
    .select("value")
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  return Buffer.from(row.value, "base64url");
}
