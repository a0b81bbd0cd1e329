import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { bearer, useApp } from "../testing/use-app";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] customer CSV import with typed attributes`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const base = () => `/api/v1/businesses/${ctx.alpha.businessId}`;
    const importCsv = (csv: string, mapping: Record<string, string | null>) =>
      ctx.app.inject({
        method: "POST",
        url: `${base()}/customers/imports`,
        query: { mapping: JSON.stringify(mapping) },
        headers: { ...bearer(ctx.alpha.apiKey), "content-type": "text/csv" },
        payload: csv,
      });
    const customer = async (userId: string) =>
      (
        await ctx.app.inject({
          url: `${base()}/customers`,
          query: { userId },
          headers: bearer(ctx.alpha.apiKey),
        })
      ).json().data[0];
    const segment = async (name: string, rule: object) => {
      const created = await ctx.app.inject({
        method: "POST",
        url: `${base()}/segments`,
        headers: bearer(ctx.alpha.apiKey),
        payload: { name, rule },
      });
      assert.equal(created.statusCode, 201, created.body);
      return created.json().id as string;
    };
    const members = async (segmentId: string) =>
      (
        await ctx.store.db
          .selectFrom("segment_members as m")
          .innerJoin("customers as c", (j) =>
            j.onRef("c.business_id", "=", "m.business_id").onRef("c.id", "=", "m.customer_id"),
          )
          .select("c.user_id")
          .where("m.business_id", "=", ctx.alpha.businessId)
          .where("m.segment_id", "=", segmentId)
          .orderBy("c.user_id")
          .execute()
      ).map((m) => m.user_id);

    it("stores numbers, booleans and dates as declared, so segment rules match imported customers", async () => {
      const adults = await segment("Adults", { attribute: "age", op: "gte", value: 18 });
      const vips = await segment("VIPs", { attribute: "vip", op: "eq", value: true });
      const early = await segment("Early", { attribute: "signedUpAt", op: "before", value: "2025-01-01" });
      const csv = [
        "userId,Age,VIP,Signed up,Nickname,utm:source",
        "t-1,42,yes,2024-05-12,007,mail",
        "t-2,17,FALSE,2025-03-01T09:30:00Z,kid,ads",
        "t-3,,,,,",
      ].join("\n");
      const response = await importCsv(csv, {
        Age: "attributes.age:number",
        VIP: "attributes.vip:boolean",
        "Signed up": "attributes.signedUpAt:date",
        Nickname: "attributes.nickname:string",
      });
      assert.equal(response.statusCode, 201, response.body);
      const result = response.json();
      assert.deepEqual([result.created, result.rejected], [3, []]);

      const t1 = await customer("t-1");
      assert.deepEqual(t1.attributes, {
        age: 42,
        vip: true,
        signedUpAt: "2024-05-12",
        nickname: "007",
        "utm:source": "mail",
      });
      const t2 = await customer("t-2");
      assert.deepEqual(
        [t2.attributes.age, t2.attributes.vip, t2.attributes.signedUpAt],
        [17, false, "2025-03-01T09:30:00Z"],
      );
      assert.deepEqual((await customer("t-3")).attributes, {}, "empty cells set nothing");

      assert.deepEqual(await members(adults), ["t-1"]);
      assert.deepEqual(await members(vips), ["t-1"]);
      assert.deepEqual(await members(early), ["t-1"]);

      // A typed re-import updates a text value to its type; an empty cell leaves it as it is.
      const again = (await importCsv("userId,Age,VIP\nt-2,18,\n", { Age: "attributes.age:number" })).json();
      assert.deepEqual([again.updated, again.rejected], [1, []]);
      assert.deepEqual(
        [(await customer("t-2")).attributes.age, (await customer("t-2")).attributes.vip],
        [18, false],
      );
      assert.deepEqual(await members(adults), ["t-1", "t-2"]);
    });

    it("rejects only the rows whose cells do not read as their type, naming column and type", async () => {
      const csv = [
        "userId,Age,VIP,Since",
        "bad-1,forty,yes,2024-01-01",
        "good-1,30,no,2024-01-01",
        "bad-2,1,2,2024-13-01",
        "bad-3,1,true,12/05/2024",
        "good-2,1.5e1,Y,2024-02-29T23:30:00+02:00",
      ].join("\n");
      const response = await importCsv(csv, {
        Age: "attributes.age:number",
        VIP: "attributes.vip:boolean",
        Since: "attributes.since:date",
      });
      assert.equal(response.statusCode, 201, response.body);
      const result = response.json();
      assert.equal(result.status, "completed");
      assert.deepEqual([result.totalRows, result.created], [5, 2]);
      assert.deepEqual(
        result.rejected.map((r: { row: number; code: string }) => [r.row, r.code]),
        [
          [2, "invalid_number"],
          [4, "invalid_boolean"],
          [5, "invalid_date"],
        ],
      );
      const [bad1, bad2, bad3] = result.rejected as { reason: string }[];
      assert.match(bad1!.reason, /column "Age": "forty" is not a number/);
      // Every bad cell of the row is named, the first one's code is the row's.
      assert.match(bad2!.reason, /column "VIP": "2" is not a boolean/);
      assert.match(bad2!.reason, /column "Since": "2024-13-01" is not an ISO 8601 date/);
      assert.match(bad3!.reason, /column "Since": "12\/05\/2024" is not an ISO 8601 date/);
      for (const userId of ["bad-1", "bad-2", "bad-3"]) assert.equal(await customer(userId), undefined);
      assert.deepEqual((await customer("good-2")).attributes, {
        age: 15,
        vip: true,
        since: "2024-02-29T23:30:00+02:00",
      });
    });

    it("refuses unknown types, types on non-attributes and one attribute mapped twice", async () => {
      const problems = async (mapping: Record<string, string>) => {
        const response = await importCsv("userId,a,b\nx,1,2\n", mapping);
        assert.equal(response.statusCode, 400, response.body);
        assert.equal(response.json().error.code, "invalid_mapping");
        return response.json().error.message as string;
      };
      assert.match(
        await problems({ a: "attributes.age:int" }),
        /unknown type "int"; types are string, number/,
      );
      assert.match(await problems({ a: "email:number" }), /only attributes.<name> targets take a type/);
      assert.match(
        await problems({ a: "attributes.age", b: "attributes.age:number" }),
        /both map to attributes.age/,
      );
    });
  });
}
