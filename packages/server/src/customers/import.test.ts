import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { writeJson } from "../store/json";
import { fillCustomers } from "../testing/customers";
import { DIALECTS } from "../testing/dialects";
import { bearer, useApp } from "../testing/use-app";

const NO_CONSENT = {
  email: "unknown",
  sms: "unknown",
  whatsapp: "unknown",
  telegram: "unknown",
  push: "unknown",
};

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] customer CSV import`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const importCsv = (
      body: string | Readable,
      query: Record<string, string> = {},
      business = ctx.alpha,
      headers: Record<string, string> = {},
    ) =>
      ctx.app.inject({
        method: "POST",
        url: `/api/v1/businesses/${business.businessId}/customers/imports`,
        query,
        headers: { ...bearer(business.apiKey), "content-type": "text/csv", ...headers },
        payload: body,
      });
    /** The customer as the API shows it, found by userId or email. */
    const customer = async (businessId: string, key: { userId?: string; email?: string }) => {
      const response = await ctx.app.inject({
        url: `/api/v1/businesses/${businessId}/customers`,
        query: key,
        headers: bearer(ctx.alpha.apiKey),
      });
      return response.json().data[0];
    };
    const count = async (businessId: string) =>
      Number(
        (
          await ctx.store.db
            .selectFrom("customers")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("business_id", "=", businessId)
            .executeTakeFirstOrThrow()
        ).n,
      );

    it("maps headers, reads quoted fields with commas and line breaks, and reports rejected rows", async () => {
      const csv = [
        "Customer ID,E-Mail,Full Name,Notes,Newsletter,plan,Ignore me",
        'u-1,ada@example.com,"Lovelace, Ada","likes ""maths""\r\nand engines",yes,pro,x',
        "u-2,not-an-email,Bob,,no,free,x",
        ",,Nobody,,,,x",
        "u-4,grace@example.com,Grace,too,many,fields,x,y",
        "",
        'u-5,"hopper@example.com",Grace Hopper,"a, b",unsubscribed,pro,x',
      ].join("\r\n");
      const mapping = {
        "Customer ID": "userId",
        "E-Mail": "email",
        Newsletter: "subscriptions.email",
        "Ignore me": null,
      };
      const response = await importCsv(csv, { mapping: JSON.stringify(mapping) });
      assert.equal(response.statusCode, 201, response.body);
      const result = response.json();
      assert.match(result.id, /^imp_/);
      assert.equal(result.status, "completed");
      const { totalRows, accepted, created, updated, skipped, onDuplicate } = result;
      assert.deepEqual(
        { totalRows, accepted, created, updated, skipped, onDuplicate },
        { totalRows: 5, accepted: 2, created: 2, updated: 0, skipped: 0, onDuplicate: "update" },
      );
      assert.deepEqual(
        result.rejected.map((r: { row: number; code: string }) => [r.row, r.code]),
        [
          [3, "invalid_email"],
          [4, "missing_identity"],
          [5, "wrong_field_count"],
        ],
      );
      assert.match(result.rejected[0].reason, /not-an-email/);

      const ada = await customer(ctx.alpha.businessId, { userId: "u-1" });
      assert.ok(ada);
      assert.equal(ada.email, "ada@example.com");
      assert.deepEqual(ada.attributes, {
        "Full Name": "Lovelace, Ada",
        Notes: 'likes "maths"\r\nand engines',
        plan: "pro",
      });
      assert.deepEqual(ada.subscriptions, { ...NO_CONSENT, email: "subscribed" });
      const hopper = await customer(ctx.alpha.businessId, { userId: "u-5" });
      assert.deepEqual(hopper.subscriptions, { ...NO_CONSENT, email: "unsubscribed" });

      const later = await ctx.app.inject({
        url: `/api/v1/businesses/${ctx.alpha.businessId}/customers/imports/${result.id}`,
        headers: bearer(ctx.alpha.apiKey),
      });
      assert.equal(later.statusCode, 200);
      assert.deepEqual(later.json(), result);
      const foreign = await ctx.app.inject({
        url: `/api/v1/businesses/${ctx.beta.businessId}/customers/imports/${result.id}`,
        headers: bearer(ctx.beta.apiKey),
      });
      assert.equal(foreign.statusCode, 404);
    });

    it("updates or skips rows that match by userId, else by email", async () => {
      const csv = "userId,email,plan\nu-1,,enterprise\n,hopper@example.com,team\nu-9,ada@example.com,x\n";
      const skipped = (await importCsv(csv, { onDuplicate: "skip" })).json();
      assert.deepEqual([skipped.skipped, skipped.updated, skipped.created], [2, 0, 0]);
      assert.deepEqual(
        skipped.rejected.map((r: { row: number; code: string }) => [r.row, r.code]),
        [[4, "email_taken"]],
      );
      assert.equal((await customer(ctx.alpha.businessId, { userId: "u-1" })).attributes.plan, "pro");

      const updated = (await importCsv(csv, {}, ctx.alpha, { "x-import-on-duplicate": "update" })).json();
      assert.deepEqual([updated.skipped, updated.updated, updated.created], [0, 2, 0]);
      const ada = await customer(ctx.alpha.businessId, { userId: "u-1" });
      assert.equal(ada.attributes.plan, "enterprise");
      assert.equal(ada.email, "ada@example.com", "an empty cell leaves the field as it is");
      assert.equal(
        (await customer(ctx.alpha.businessId, { email: "hopper@example.com" })).attributes.plan,
        "team",
      );
    });

    it("re-evaluates segments for imported customers across batches", async () => {
      const now = Date.now();
      await ctx.store.db
        .insertInto("segments")
        .values({
          business_id: ctx.alpha.businessId,
          id: "seg_gold",
          name: "Gold",
          rule: writeJson({ attribute: "tier", op: "eq", value: "gold" }),
          created_at: now,
          updated_at: now,
        })
        .execute();
      await ctx.store.db
        .updateTable("businesses")
        .set((eb) => ({ segments_version: eb("segments_version", "+", 1) }))
        .where("id", "=", ctx.alpha.businessId)
        .execute();
      const rows = Array.from(
        { length: 1_200 },
        (_, i) => `bulk-${i},bulk${i}@example.com,${i % 2 ? "gold" : "tin"}`,
      );
      const result = (await importCsv(["userId,email,tier", ...rows].join("\n"))).json();
      assert.deepEqual([result.totalRows, result.created, result.rejected.length], [1_200, 1_200, 0]);
      const members = await ctx.store.db
        .selectFrom("segment_members")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("business_id", "=", ctx.alpha.businessId)
        .where("segment_id", "=", "seg_gold")
        .executeTakeFirstOrThrow();
      assert.equal(Number(members.n), 600);

      const downgrade = (await importCsv("userId,tier\nbulk-1,tin\n")).json();
      assert.equal(downgrade.updated, 1);
      const log = await ctx.store.db
        .selectFrom("membership_events as m")
        .innerJoin("customers as c", (j) =>
          j.onRef("c.business_id", "=", "m.business_id").onRef("c.id", "=", "m.customer_id"),
        )
        .select(["m.change"])
        .where("c.user_id", "=", "bulk-1")
        .orderBy("m.seq")
        .execute();
      assert.deepEqual(
        log.map((l) => l.change),
        ["joined", "left"],
      );
    });

    it("refuses an erased person's identity row by row", async () => {
      const created = await ctx.app.inject({
        method: "POST",
        url: `/api/v1/businesses/${ctx.alpha.businessId}/customers`,
        headers: bearer(ctx.alpha.apiKey),
        payload: { userId: "gone", email: "gone@example.com" },
      });
      await ctx.app.inject({
        method: "DELETE",
        url: `/api/v1/businesses/${ctx.alpha.businessId}/customers/${created.json().id}`,
        headers: bearer(ctx.alpha.apiKey),
      });
      const result = (await importCsv("email,plan\ngone@example.com,pro\nstays@example.com,pro\n")).json();
      assert.equal(result.created, 1);
      assert.deepEqual(
        result.rejected.map((r: { row: number; code: string }) => [r.row, r.code]),
        [[2, "customer_erased"]],
      );
    });

    it("enforces the plan's customer limit row by row, naming plan and limit", async () => {
      await fillCustomers(ctx.store, ctx.beta.businessId, 995);
      const rows = Array.from({ length: 8 }, (_, i) => `new-${i}`);
      const result = (await importCsv(["userId", "fill-3", ...rows].join("\n"), {}, ctx.beta)).json();
      assert.deepEqual([result.created, result.updated], [5, 1]);
      assert.deepEqual(
        result.rejected.map((r: { row: number }) => r.row),
        [8, 9, 10],
      );
      assert.equal(result.rejected[0].code, "plan_limit_reached");
      assert.match(result.rejected[0].reason, /Starter plan allows 1,000 customers/);
      assert.equal(await count(ctx.beta.businessId), 1_000);
    });

    it("refuses a file over 50,000 rows or 50 MB before writing anything", async () => {
      const before = await count(ctx.alpha.businessId);
      const rows = Array.from({ length: 50_001 }, (_, i) => `many-${i}`);
      const tooMany = await importCsv(["userId", ...rows].join("\n"));
      assert.equal(tooMany.statusCode, 422, tooMany.body);
      assert.equal(tooMany.json().error.code, "too_many_rows");
      assert.match(tooMany.json().error.message, /50,000 rows/);

      const declared = await importCsv("userId\nx\n", {}, ctx.alpha, {
        "content-length": String(60 * 1024 * 1024),
      });
      assert.equal(declared.statusCode, 413);

      // No Content-Length: the limit is enforced on the bytes as they stream in.
      const wide = `"${"w".repeat(60_000)}"\n`;
      const big = Readable.from(
        (function* () {
          yield "userId\n";
          for (let i = 0; i < 900; i++) yield wide;
        })(),
      );
      const tooBig = await importCsv(big);
      assert.equal(tooBig.statusCode, 413, tooBig.body);
      assert.equal(tooBig.json().error.code, "file_too_large");
      assert.match(tooBig.json().error.message, /50 MB/);
      assert.equal(await count(ctx.alpha.businessId), before);
    });

    it("answers 400 for a bad mapping, 422 for broken CSV, 415 for a non-CSV body", async () => {
      const unknown = await importCsv("email\na@b.co\n", {
        mapping: JSON.stringify({ Mail: "email", email: "nope" }),
      });
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().error.code, "invalid_mapping");
      assert.equal(unknown.json().error.details.problems.length, 2);
      const twice = await importCsv("a,b\n1,2\n", { mapping: JSON.stringify({ a: "email", b: "email" }) });
      assert.match(twice.json().error.message, /both map to email/);
      const notJson = await importCsv("a\n1\n", { mapping: "{" });
      assert.equal(notJson.json().error.code, "invalid_mapping");
      const broken = await importCsv('email\n"open@example.com\n');
      assert.equal(broken.statusCode, 422);
      assert.equal(broken.json().error.code, "invalid_csv");
      const empty = await importCsv("");
      assert.equal(empty.statusCode, 422);
      const json = await ctx.app.inject({
        method: "POST",
        url: `/api/v1/businesses/${ctx.alpha.businessId}/customers/imports`,
        headers: bearer(ctx.alpha.apiKey),
        payload: { email: "a@b.co" },
      });
      assert.equal(json.statusCode, 415);
      assert.equal(json.json().error.code, "unsupported_media_type");
    });

    it("lists imports newest first, and still reads rejected rows recorded in the report", async () => {
      const first = (await importCsv("email\nlist-1@example.com\nnot-an-email\n", {}, ctx.alpha)).json();
      const second = (await importCsv("email\nlist-2@example.com\n", {}, ctx.alpha)).json();
      const list = async (query: string) =>
        (
          await ctx.app.inject({
            url: `/api/v1/businesses/${ctx.alpha.businessId}/customers/imports${query}`,
            headers: bearer(ctx.alpha.apiKey),
          })
        ).json();
      const all = await list("");
      assert.deepEqual(
        all.data
          .slice(0, 2)
          .map((i: { id: string; status: string; accepted: number; rejectedRows: number }) => [
            i.id,
            i.status,
            i.accepted,
            i.rejectedRows,
          ]),
        [
          [second.id, "completed", 1, 0],
          [first.id, "completed", 1, 1],
        ],
      );
      assert.equal(all.data[0].rejected, undefined, "the list leaves each rejected row to the import");
      assert.deepEqual(
        (await list("?limit=1")).data.map((i: { id: string }) => i.id),
        [second.id],
      );

      // An import recorded before rejected rows had a table of their own kept them in its report.
      await ctx.store.db
        .insertInto("customer_imports")
        .values({
          business_id: ctx.alpha.businessId,
          id: "imp_legacy",
          status: "completed",
          total_rows: 2,
          accepted: 1,
          rejected: 1,
          report: writeJson({
            created: 1,
            updated: 0,
            skipped: 0,
            onDuplicate: "update",
            rejected: [{ row: 3, code: "invalid_email", reason: "not an email" }],
          }),
          created_at: 1,
          finished_at: 2,
          updated_at: null,
        })
        .execute();
      const legacy = await ctx.app.inject({
        url: `/api/v1/businesses/${ctx.alpha.businessId}/customers/imports/imp_legacy`,
        headers: bearer(ctx.alpha.apiKey),
      });
      assert.equal(legacy.statusCode, 200, legacy.body);
      assert.deepEqual(legacy.json().rejected, [{ row: 3, code: "invalid_email", reason: "not an email" }]);
      assert.equal(legacy.json().status, "completed");
    });
  });
}
