import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DIALECTS } from "../testing/dialects";
import { bearer, useApp } from "../testing/use-app";

/**
 * Random hostile JSON — nested thousands deep, thousands wide, any Unicode, U+0000 and unpaired
 * surrogates in keys and values — sent to ingestion and to the customer and segment routes: the
 * server never answers 5xx, and the valid messages of a batch are stored whatever the others hold.
 * Values are built as JSON text, since JSON.stringify itself cannot write the deepest ones.
 */
const odd = fc.string({
  unit: fc.oneof(
    fc.constantFrom("\u0000", "\ud800", "\udfff", "\\", '"', ".", "$", "\n", "😀", "é", "\u2028"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});
const scalar = fc.oneof(odd, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const shallow = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v));
const oddObject = fc
  .dictionary(odd, fc.oneof(scalar, fc.array(scalar, { maxLength: 4 })), { maxKeys: 6 })
  .map((v) => JSON.stringify(v));
const deep = fc
  .tuple(fc.integer({ min: 20, max: 6_000 }), fc.constantFrom("{", "["), fc.oneof(shallow, oddObject))
  .map(([levels, open, leaf]) =>
    open === "{"
      ? `${'{"k":'.repeat(levels)}${leaf}${"}".repeat(levels)}`
      : `${"[".repeat(levels)}${leaf}${"]".repeat(levels)}`,
  );
const wide = fc
  .tuple(fc.integer({ min: 100, max: 3_000 }), odd)
  .map(
    ([n, value]) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${JSON.stringify(value)}`).join(",")}}`,
  );
/** JSON text of any hostile kind. */
const hostile = fc.oneof(shallow, oddObject, deep, wide);

/** Properties any store accepts: ordinary JSON a few levels deep, no U+0000 or lone surrogate. */
// Valid and storable: no NUL or lone surrogate, and no "__proto__" / "constructor.prototype" key,
// which the body parser refuses for the whole body (400 invalid_json, a prototype-poisoning guard).
const storable = fc
  .jsonValue({ maxDepth: 5 })
  .filter((v) => !/\\u0000|\\ud[89a-f]|"__proto__"|"constructor"/i.test(JSON.stringify(v)));
const invalid = fc.oneof(
  hostile.map((v) => `{"type":"track","userId":"fuzz","event":"Hostile","properties":${v}}`),
  hostile.map((v) => `{"type":"identify","userId":"fuzz","traits":${v}}`),
  hostile.map((v) => `{"type":"identify","userId":${v}}`),
  hostile,
);

let runs = 0;
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] untrusted JSON, fuzzed`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const B = () => `/api/v1/businesses/${ctx.alpha.businessId}`;
    const writeKey = () => ({
      authorization: `Basic ${Buffer.from(`${ctx.alpha.writeKey}:`).toString("base64")}`,
      "content-type": "application/json",
    });
    const api = () => ({ ...bearer(ctx.alpha.apiKey), "content-type": "application/json" });
    const no5xx = (what: string, response: { statusCode: number; body: string }) =>
      assert.ok(response.statusCode < 500, `${what}: ${response.statusCode} ${response.body.slice(0, 300)}`);

    it("stores every valid message of a batch, whatever the others are", async () => {
      const slot = fc.oneof(fc.record({ valid: storable }), fc.record({ hostile: invalid }));
      await fc.assert(
        fc.asyncProperty(fc.array(slot, { minLength: 1, maxLength: 6 }), async (slots) => {
          const run = ++runs;
          const messages = slots.map((s, i) =>
            "valid" in s
              ? `{"type":"track","userId":"fuzz-${run}","event":"Valid","messageId":"fuzz-${run}-${i}","properties":{"p":${JSON.stringify(s.valid)}}}`
              : s.hostile,
          );
          const response = await ctx.app.inject({
            method: "POST",
            url: "/v1/batch",
            headers: writeKey(),
            payload: `{"batch":[${messages.join(",")}]}`,
          });
          no5xx("batch", response);
          const expected = slots.flatMap((s, i) => ("valid" in s ? [`fuzz-${run}-${i}`] : []));
          if (expected.length === 0) return;
          assert.equal(response.statusCode, 200, response.body.slice(0, 300));
          const stored = await ctx.store.db
            .selectFrom("events")
            .select("message_id")
            .where("business_id", "=", ctx.alpha.businessId)
            .where("message_id", "in", expected)
            .execute();
          assert.equal(stored.length, expected.length, response.body.slice(0, 300));
        }),
        { numRuns: 25 },
      );
    });

    it("never answers 5xx to hostile single messages, customers, segments or filters", async () => {
      await fc.assert(
        fc.asyncProperty(hostile, odd, async (value, name) => {
          for (const path of ["identify", "track", "page"]) {
            no5xx(
              path,
              await ctx.app.inject({
                method: "POST",
                url: `/v1/${path}`,
                headers: writeKey(),
                payload: `{"userId":"fuzz-single","event":"E","traits":${value},"properties":${value}}`,
              }),
            );
          }
          no5xx(
            "customer",
            await ctx.app.inject({
              method: "POST",
              url: `${B()}/customers`,
              headers: api(),
              payload: `{"attributes":{"a":${value}}}`,
            }),
          );
          no5xx(
            "customer attribute name",
            await ctx.app.inject({
              method: "POST",
              url: `${B()}/customers`,
              headers: api(),
              payload: `{"attributes":{${JSON.stringify(name)}:1}}`,
            }),
          );
          for (const rule of [
            value,
            `{"attribute":${JSON.stringify(name)},"op":"eq","value":${value}}`,
            `{"all":[{"event":${JSON.stringify(name)},"op":"atLeast","count":1,"where":[{"property":${JSON.stringify(name)},"op":"eq","value":"x"}]}]}`,
          ]) {
            no5xx(
              "segment preview",
              await ctx.app.inject({
                method: "POST",
                url: `${B()}/segments/preview`,
                headers: api(),
                payload: `{"rule":${rule}}`,
              }),
            );
            no5xx(
              "segment create",
              await ctx.app.inject({
                method: "POST",
                url: `${B()}/segments`,
                headers: api(),
                payload: `{"name":${JSON.stringify(name || "n")},"rule":${rule}}`,
              }),
            );
          }
          no5xx(
            "attribute filter",
            await ctx.app.inject({
              method: "GET",
              url: `${B()}/customers?${new URLSearchParams({ [`attribute.${name}`]: name }).toString()}`,
              headers: bearer(ctx.alpha.apiKey),
            }),
          );
        }),
        { numRuns: 30 },
      );
    });
  });
}
