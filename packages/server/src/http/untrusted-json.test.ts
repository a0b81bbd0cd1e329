import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Kysely, sql } from "kysely";
import { repairUnreadableAttributes } from "../store/migrations/0009_attributes_sqlite_can_read";
import { DIALECTS } from "../testing/dialects";
import { bearer, useApp } from "../testing/use-app";

const basic = (writeKey: string) => ({
  authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`,
  "content-type": "application/json",
});

/** `{"x":{"x":…1…}}`, `levels` objects deep, as JSON text (a value JSON.stringify could not write). */
const nestedText = (levels: number) => `${'{"x":'.repeat(levels)}1${"}".repeat(levels)}`;

/**
 * A write key is public, so whatever JSON it can send, anyone can: a value nested too deep or
 * text a database cannot hold is refused on its own with 400, naming where and the limit, and
 * nothing it sent can make a later query of the business fail.
 */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] untrusted JSON`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const B = () => `/api/v1/businesses/${ctx.alpha.businessId}`;
    const api = () => ({ ...bearer(ctx.alpha.apiKey), "content-type": "application/json" });
    const ingest = (path: string, payload: string) =>
      ctx.app.inject({ method: "POST", url: `/v1/${path}`, headers: basic(ctx.alpha.writeKey), payload });
    const stored = async (messageId: string) =>
      ctx.store.db
        .selectFrom("events")
        .select("message_id")
        .where("business_id", "=", ctx.alpha.businessId)
        .where("message_id", "=", messageId)
        .executeTakeFirst();

    it("refuses traits nested deeper than 32 levels with 400, the path and the limit", async () => {
      for (const levels of [33, 1_000, 5_000]) {
        const response = await ingest(
          "identify",
          `{"userId":"deep","traits":{"a":${nestedText(levels - 1)}}}`,
        );
        assert.equal(response.statusCode, 400, `${levels}: ${response.body.slice(0, 200)}`);
        const { error } = response.json();
        assert.equal(error.code, "too_deep");
        assert.equal(error.details.limit, 32);
        assert.match(error.details.path, /^traits\.a\.x\.x/);
        assert.match(error.message, /deeper than the limit of 32 levels/);
      }
      const fine = await ingest("identify", `{"userId":"deep","traits":{"a":${nestedText(31)}}}`);
      assert.equal(fine.statusCode, 200, fine.body);
    });

    it("refuses deep properties and context on track, page and screen", async () => {
      for (const [path, field] of [
        ["track", "properties"],
        ["page", "properties"],
        ["screen", "context"],
      ] as const) {
        const response = await ingest(
          path,
          `{"userId":"deep","event":"E","${field}":{"p":${nestedText(5_000)}}}`,
        );
        assert.equal(response.statusCode, 400, response.body.slice(0, 200));
        assert.equal(response.json().error.details.path.split(".")[0], field);
      }
    });

    it("rejects a bad message of a batch by its index and stores the valid ones", async () => {
      const response = await ingest(
        "batch",
        `{"batch":[
          {"type":"track","userId":"b","event":"Kept","messageId":"batch-ok-1"},
          {"type":"identify","userId":"b","traits":{"a":${nestedText(5_000)}},"messageId":"batch-deep"},
          {"type":"track","userId":"b","event":"Nul","properties":{"p":"a\\u0000b"},"messageId":"batch-nul"},
          {"type":"track","userId":"b","event":"Lone","properties":{"p":"\\ud800"},"messageId":"batch-lone"},
          {"type":"track","userId":"b","event":"Kept","messageId":"batch-ok-2"},
          ${"[".repeat(5_000)}${"]".repeat(5_000)}]}`,
      );
      assert.equal(response.statusCode, 200, response.body.slice(0, 300));
      const body = response.json();
      assert.equal(body.accepted, 2);
      assert.deepEqual(
        body.rejected.map((r: { index: number; code: string; messageId: string }) => [
          r.index,
          r.code,
          r.messageId,
        ]),
        [
          [1, "too_deep", "batch-deep"],
          [2, "invalid_string", "batch-nul"],
          [3, "invalid_string", "batch-lone"],
          [5, "too_deep", null],
        ],
      );
      assert.ok(await stored("batch-ok-1"));
      assert.ok(await stored("batch-ok-2"));
      assert.equal(await stored("batch-nul"), undefined);
    });

    it("refuses NUL in ids and event names (PostgreSQL text cannot hold it)", async () => {
      const user = await ingest("track", `{"userId":"u\\u0000","event":"E"}`);
      assert.equal(user.statusCode, 400, user.body);
      assert.equal(user.json().error.details.path, "userId");
      const event = await ingest("track", `{"userId":"u","event":"E\\u0000"}`);
      assert.equal(event.statusCode, 400, event.body);
      assert.equal(event.json().error.code, "invalid_string");
    });

    it("answers 400, not 500, for deep or NUL-laden management bodies", async () => {
      const customer = await ctx.app.inject({
        method: "POST",
        url: `${B()}/customers`,
        headers: api(),
        payload: `{"userId":"c-deep","attributes":{"a":${nestedText(5_000)}}}`,
      });
      assert.equal(customer.statusCode, 400, customer.body.slice(0, 200));
      assert.equal(customer.json().error.code, "too_deep");
      const attribute = await ctx.app.inject({
        method: "POST",
        url: `${B()}/customers`,
        headers: api(),
        payload: `{"userId":"c-deep","attributes":{"a":${nestedText(40)}}}`,
      });
      assert.equal(attribute.statusCode, 400, attribute.body.slice(0, 200));
      const [field] = attribute.json().error.details.fields;
      assert.equal(field.code, "too_deep");
      assert.equal(field.field, "attributes.a.x.x.x.x.x.x.x.x.x.x.x…(20 levels more)");
      assert.match(field.message, /limit of 32 levels/);
      const segment = await ctx.app.inject({
        method: "POST",
        url: `${B()}/segments`,
        headers: api(),
        payload: `{"name":"n","rule":{"attribute":"a\\u0000","op":"eq","value":"x"}}`,
      });
      assert.equal(segment.statusCode, 400, segment.body);
      assert.equal(segment.json().error.code, "invalid_string");
      const preview = await ctx.app.inject({
        method: "POST",
        url: `${B()}/segments/preview`,
        headers: api(),
        payload: `{"rule":{"attribute":"a\\u0000","op":"eq","value":"x"}}`,
      });
      assert.equal(preview.statusCode, 400, preview.body);
    });

    it("answers 400 for an attribute filter a JSON path cannot name, and finds one it can", async () => {
      await ctx.app.inject({
        method: "POST",
        url: `${B()}/customers`,
        headers: api(),
        payload: { userId: "odd-names", attributes: { "a\\": "1", 'q"x': "2", "a.b": "3" } },
      });
      for (const [name, userId] of [
        ["a%5C", "odd-names"],
        ["q%22x", "odd-names"],
        ["a.b", "odd-names"],
      ]) {
        const value = name === "a%5C" ? "1" : name === "q%22x" ? "2" : "3";
        const found = await ctx.app.inject({
          method: "GET",
          url: `${B()}/customers?attribute.${name}=${value}`,
          headers: bearer(ctx.alpha.apiKey),
        });
        assert.equal(found.statusCode, 200, `${name}: ${found.body}`);
        assert.deepEqual(
          found.json().data.map((c: { userId: string }) => c.userId),
          [userId],
          name,
        );
      }
      const nul = await ctx.app.inject({
        method: "GET",
        url: `${B()}/customers?attribute.a%00=1`,
        headers: bearer(ctx.alpha.apiKey),
      });
      assert.equal(nul.statusCode, 400, nul.body);
    });

    it("keeps segments and attribute filters working after traits as deep as the limit", async () => {
      const identify = await ingest(
        "identify",
        `{"userId":"at-limit","traits":{"plan":"pro","a":${nestedText(31)}}}`,
      );
      assert.equal(identify.statusCode, 200, identify.body);
      const segment = await ctx.app.inject({
        method: "POST",
        url: `${B()}/segments`,
        headers: api(),
        payload: { name: "Pro", rule: { attribute: "plan", op: "eq", value: "pro" } },
      });
      assert.equal(segment.statusCode, 201, segment.body);
      const filtered = await ctx.app.inject({
        method: "GET",
        url: `${B()}/customers?attribute.plan=pro`,
        headers: bearer(ctx.alpha.apiKey),
      });
      assert.equal(filtered.statusCode, 200, filtered.body);
      assert.ok(filtered.json().data.some((c: { userId: string }) => c.userId === "at-limit"));
    });

    it("repairs attributes stored too deep before the check, so queries work again", {
      skip: dialect.name !== "sqlite" && "SQLite only: PostgreSQL reads such documents",
    }, async () => {
      const created = await ctx.app.inject({
        method: "POST",
        url: `${B()}/customers`,
        headers: api(),
        payload: { userId: "stored-deep", attributes: { plan: "pro" } },
      });
      assert.equal(created.statusCode, 201, created.body);
      // As an identify stored it before input was checked for depth.
      const attributes = `{"plan":"pro","a":${nestedText(1_500)}}`;
      await sql`update customers set attributes = ${attributes} where id = ${created.json().id}`.execute(
        ctx.store.db,
      );
      const preview = () =>
        ctx.app.inject({
          method: "POST",
          url: `${B()}/segments/preview`,
          headers: api(),
          payload: { rule: { attribute: "plan", op: "eq", value: "pro" } },
        });
      assert.equal((await preview()).statusCode, 500, "the stored document breaks the scan");
      assert.equal(await repairUnreadableAttributes(ctx.store.db as Kysely<unknown>), 1);
      const after = await preview();
      assert.equal(after.statusCode, 200, after.body);
      const customer = await ctx.app.inject({
        method: "GET",
        url: `${B()}/customers/${created.json().id}`,
        headers: api(),
      });
      assert.deepEqual(customer.json().attributes, { plan: "pro" });
    });
  });
}
