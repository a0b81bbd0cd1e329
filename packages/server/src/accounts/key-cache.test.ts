import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useStore } from "../testing/use-store";
import { authenticateKey, createApiKey, hashKey, revokeApiKey } from "./api-keys";
import { createBusinessWithOwner } from "./bootstrap";
import { KEY_CACHE_MS, KeyCache, type KnownKey } from "./key-cache";

const known = (keyId: string): KnownKey => ({ businessId: "bus_1", keyId, revoked: false, lastUsedAt: null });

describe("KeyCache", () => {
  it("trusts a key for KEY_CACHE_MS after it was read, then asks the store again", () => {
    let now = 0;
    const cache = new KeyCache(() => now);
    cache.set("h1", known("key_1"));
    now = KEY_CACHE_MS - 1;
    assert.equal(cache.get("h1")?.keyId, "key_1");
    now = KEY_CACHE_MS;
    assert.equal(cache.get("h1"), undefined);
  });

  it("forgets a revoked key at once", () => {
    const cache = new KeyCache(() => 0);
    cache.set("h1", known("key_1"));
    cache.set("h2", known("key_2"));
    cache.forget("key_1");
    assert.equal(cache.get("h1"), undefined);
    assert.equal(cache.get("h2")?.keyId, "key_2");
  });

  it("keeps at most 10,000 keys, forgetting the oldest first", () => {
    const cache = new KeyCache(() => 0);
    for (let i = 0; i <= 10_000; i++) cache.set(`h${i}`, known(`key_${i}`));
    assert.equal(cache.get("h0"), undefined);
    assert.equal(cache.get("h1")?.keyId, "key_1");
    assert.equal(cache.get("h10000")?.keyId, "key_10000");
  });
});

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] API key checks through the cache`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect);

    it("refuses a key revoked in this process at once, and one revoked by another process within KEY_CACHE_MS", async () => {
      const r = ctx.resources;
      const { businessId } = await createBusinessWithOwner(r, {
        name: "Keys",
        plan: "growth",
        ownerEmail: "keys@example.com",
      });
      const here = await createApiKey(r, businessId, { kind: "write" });
      const there = await createApiKey(r, businessId, { kind: "write" });
      assert.equal((await authenticateKey(r, here.key, "write"))?.keyId, here.apiKey.id);
      assert.equal((await authenticateKey(r, there.key, "write"))?.keyId, there.apiKey.id);

      await revokeApiKey(r, businessId, here.apiKey.id);
      assert.equal(await authenticateKey(r, here.key, "write"), null);

      // Another process revokes: this one learns it when its cached read expires.
      await r.store.db
        .updateTable("api_keys")
        .set({ revoked_at: r.clock.now() })
        .where("key_hash", "=", hashKey(there.key))
        .execute();
      await new Promise((resolve) => setTimeout(resolve, KEY_CACHE_MS + 50));
      assert.equal(await authenticateKey(r, there.key, "write"), null);
    });

    it("finds a key created by another process at once (unknown keys are not cached)", async () => {
      const r = ctx.resources;
      const { businessId } = await createBusinessWithOwner(r, {
        name: "Keys 2",
        plan: "growth",
        ownerEmail: "keys2@example.com",
      });
      const { key } = await createApiKey(r, businessId, { kind: "secret" });
      await r.store.db.deleteFrom("api_keys").where("key_hash", "=", hashKey(key)).execute();
      assert.equal(await authenticateKey(r, key, "secret"), null);
      await r.store.db
        .insertInto("api_keys")
        .values({
          business_id: businessId,
          id: "key_again",
          kind: "secret",
          name: "Again",
          prefix: key.slice(0, 9),
          key_hash: hashKey(key),
          created_at: 1,
          last_used_at: null,
          revoked_at: null,
        })
        .execute();
      assert.equal((await authenticateKey(r, key, "secret"))?.keyId, "key_again");
    });
  });
}
