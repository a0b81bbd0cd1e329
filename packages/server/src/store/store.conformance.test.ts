import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sql } from "kysely";
import { DIALECTS } from "../testing/dialects";
import { useStore } from "../testing/use-store";
import { readJson, writeJson } from "./json";
import { migrateToLatest } from "./migrate";
import { MIGRATIONS } from "./migrations/index";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] store conformance`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect);

    it("answers ping and names its dialect", async () => {
      await ctx.store.ping();
      assert.equal(ctx.store.dialect, dialect.name);
    });

    it("applies every migration once, and again is a no-op", async () => {
      const rows = await sql<{ name: string }>`select name from journeys_migrations order by name`.execute(
        ctx.store.db,
      );
      assert.deepEqual(
        rows.rows.map((r) => r.name),
        MIGRATIONS.map((m) => m.name),
      );
      const again = await migrateToLatest(ctx.store.db as never, dialect.name);
      assert.deepEqual(again.applied, []);
    });

    it("reads committed data through the reader while a write transaction is open, without waiting for it", async () => {
      const business = (id: string) =>
        ctx.store.reader.selectFrom("businesses").select("id").where("id", "=", id).executeTakeFirst();
      await ctx.store.db
        .insertInto("businesses")
        .values({ id: "bus_reader", name: "R", plan: "growth", settings: writeJson({}), created_at: 1 })
        .execute();
      await ctx.store.db.transaction().execute(async (trx) => {
        await trx
          .insertInto("businesses")
          .values({
            id: "bus_uncommitted",
            name: "U",
            plan: "growth",
            settings: writeJson({}),
            created_at: 1,
          })
          .execute();
        // On SQLite the write transaction holds the one `db` connection: a read through `db`
        // here would wait for it forever; the reader answers at once, from committed data.
        assert.equal((await business("bus_reader"))?.id, "bus_reader");
        assert.equal(await business("bus_uncommitted"), undefined);
      });
      assert.equal((await business("bus_uncommitted"))?.id, "bus_uncommitted");
    });

    it("round-trips epoch milliseconds beyond 32 bits as numbers", async () => {
      const at = 1_790_000_000_123;
      await ctx.store.db
        .insertInto("businesses")
        .values({ id: "bus_time", name: "T", plan: "growth", settings: writeJson({}), created_at: at })
        .execute();
      const row = await ctx.store.db
        .selectFrom("businesses")
        .select("created_at")
        .where("id", "=", "bus_time")
        .executeTakeFirstOrThrow();
      assert.equal(row.created_at, at);
      assert.equal(typeof row.created_at, "number");
    });

    it("round-trips JSON documents with nesting and unicode", async () => {
      const settings = { emailOptOut: true, nested: { list: [1, "two", null], text: "héllo ✉" } };
      await ctx.store.db
        .insertInto("businesses")
        .values({ id: "bus_json", name: "J", plan: "growth", settings: writeJson(settings), created_at: 1 })
        .execute();
      const row = await ctx.store.db
        .selectFrom("businesses")
        .select("settings")
        .where("id", "=", "bus_json")
        .executeTakeFirstOrThrow();
      assert.deepEqual(readJson(row.settings), settings);
    });

    it("reads a JSON value at a key path as text, keys quoted exactly", async () => {
      const settings = { telegram: { chatId: "42" }, "a.b": { 'q"x': "odd", n: 7 }, "a\\": "slash" };
      await ctx.store.db
        .insertInto("businesses")
        .values({
          id: "bus_jsontext",
          name: "J",
          plan: "growth",
          settings: writeJson(settings),
          created_at: 1,
        })
        .execute();
      const at = async (keys: string[]) =>
        (
          await ctx.store.db
            .selectFrom("businesses")
            .select(ctx.store.jsonText("settings", keys).as("v"))
            .where("id", "=", "bus_jsontext")
            .executeTakeFirstOrThrow()
        ).v;
      assert.equal(await at(["telegram", "chatId"]), "42");
      assert.equal(await at(["a.b", 'q"x']), "odd");
      assert.equal(String(await at(["a.b", "n"])), "7");
      assert.equal(await at(["a\\"]), "slash");
      assert.equal(await at(["a", "b"]), null, "a dotted key is one key, not a path");
      assert.equal(await at(["missing"]), null);
      const found = await ctx.store.db
        .selectFrom("businesses")
        .select("id")
        .where(ctx.store.jsonText("settings", ["telegram", "chatId"]), "=", "42")
        .execute();
      assert.deepEqual(
        found.map((r) => r.id),
        ["bus_jsontext"],
      );
    });

    it("rolls back a failed transaction entirely", async () => {
      await assert.rejects(
        ctx.store.db.transaction().execute(async (trx) => {
          await trx
            .insertInto("businesses")
            .values({ id: "bus_rollback", name: "R", plan: "growth", settings: "{}", created_at: 1 })
            .execute();
          throw new Error("boom");
        }),
        /boom/,
      );
      const found = await ctx.store.db
        .selectFrom("businesses")
        .select("id")
        .where("id", "=", "bus_rollback")
        .executeTakeFirst();
      assert.equal(found, undefined);
    });

    it("commits an unflushed transaction without a flush of its own, and every other one flushed", async () => {
      // How this connection would commit now: SQLite's synchronous level, PostgreSQL's synchronous_commit.
      const commitMode = async (db: typeof ctx.store.db) =>
        dialect.name === "sqlite"
          ? String((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]!.synchronous)
          : (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0]!
              .synchronous_commit;
      const flushed = dialect.name === "sqlite" ? "2" : "on"; // FULL / on
      const unflushed = dialect.name === "sqlite" ? "1" : "off"; // NORMAL / off
      const insert = (db: typeof ctx.store.db, id: string) =>
        db
          .insertInto("businesses")
          .values({ id, name: id, plan: "growth", settings: "{}", created_at: 1 })
          .execute();

      assert.equal(await commitMode(ctx.store.db), flushed);
      // An ordinary transaction asked for meanwhile waits (SQLite) or runs beside it (PostgreSQL),
      // and commits flushed either way.
      let other: Promise<string> | undefined;
      await ctx.store.unflushedTransaction(async (trx) => {
        other = ctx.store.db.transaction().execute(async (t) => {
          await insert(t, "bus_flushed");
          return commitMode(t);
        });
        await insert(trx, "bus_unflushed");
        assert.equal(await commitMode(trx), unflushed);
      });
      assert.equal(await other, flushed);
      assert.equal(await commitMode(ctx.store.db), flushed);

      await assert.rejects(
        ctx.store.unflushedTransaction(async (trx) => {
          await insert(trx, "bus_unflushed_rolled_back");
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.equal(await commitMode(ctx.store.db), flushed);
      const ids = await ctx.store.db
        .selectFrom("businesses")
        .select("id")
        .where("id", "in", ["bus_flushed", "bus_unflushed", "bus_unflushed_rolled_back"])
        .orderBy("id")
        .execute();
      assert.deepEqual(
        ids.map((row) => row.id),
        ["bus_flushed", "bus_unflushed"],
      );
    });

    it("enforces foreign keys from tenant tables to businesses", async () => {
      await assert.rejects(
        ctx.store.db
          .insertInto("api_keys")
          .values({
            business_id: "bus_missing",
            id: "key_x",
            kind: "secret",
            name: "x",
            prefix: "sk_x",
            key_hash: "h",
            created_at: 1,
            last_used_at: null,
            revoked_at: null,
          })
          .execute(),
      );
    });

    it("enforces unique key hashes across businesses", async () => {
      const key = {
        business_id: "bus_time",
        kind: "secret",
        name: "x",
        prefix: "sk_x",
        key_hash: "same",
        created_at: 1,
        last_used_at: null,
        revoked_at: null,
      };
      await ctx.store.db
        .insertInto("api_keys")
        .values({ ...key, id: "key_1" })
        .execute();
      await assert.rejects(
        ctx.store.db
          .insertInto("api_keys")
          .values({ ...key, business_id: "bus_json", id: "key_2" })
          .execute(),
      );
    });
  });
}
