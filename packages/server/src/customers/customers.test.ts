import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { writeJson } from "../store/json";
import { fillCustomers } from "../testing/customers";
import { DIALECTS } from "../testing/dialects";
import { bearer, useApp } from "../testing/use-app";

const basic = (writeKey: string) => ({
  authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`,
});

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] customers API`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const url = (path = "") => `/api/v1/businesses/${ctx.alpha.businessId}/customers${path}`;
    const call = (method: "GET" | "POST" | "PATCH" | "DELETE", path: string, payload?: object) =>
      ctx.app.inject({ method, url: url(path), headers: bearer(ctx.alpha.apiKey), payload });
    const addSegment = async (businessId: string, id: string, rule: object) => {
      const now = Date.now();
      await ctx.store.db
        .insertInto("segments")
        .values({
          business_id: businessId,
          id,
          name: id,
          rule: writeJson(rule),
          created_at: now,
          updated_at: now,
        })
        .execute();
      await ctx.store.db
        .updateTable("businesses")
        .set((eb) => ({ segments_version: eb("segments_version", "+", 1) }))
        .where("id", "=", businessId)
        .execute();
    };

    it("creates a customer in the DESIGN §5 wire format, normalising its fields", async () => {
      const response = await call("POST", "", {
        userId: "ada",
        email: " Ada@Example.com ",
        phone: "+44 20 7946 0958",
        timezone: "Europe/London",
        locale: "en_GB",
        attributes: { plan: "pro", seats: 3 },
        subscriptions: { email: "subscribed" },
      });
      assert.equal(response.statusCode, 201, response.body);
      const customer = response.json();
      assert.match(customer.id, /^cus_/);
      assert.deepEqual(
        {
          userId: customer.userId,
          email: customer.email,
          phone: customer.phone,
          timezone: customer.timezone,
          locale: customer.locale,
          attributes: customer.attributes,
          subscriptions: customer.subscriptions,
        },
        {
          userId: "ada",
          email: "ada@example.com",
          phone: "+442079460958",
          timezone: "Europe/London",
          locale: "en-GB",
          attributes: { plan: "pro", seats: 3 },
          subscriptions: {
            email: "subscribed",
            sms: "unknown",
            whatsapp: "unknown",
            telegram: "unknown",
            push: "unknown",
          },
        },
      );
    });

    it("answers 400 listing every invalid field, and 409 for a taken email or userId", async () => {
      const bad = await call("POST", "", { email: "not-an-email", phone: "12", timezone: "Mars/Olympus" });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().error.code, "invalid_customer");
      assert.deepEqual(
        bad
          .json()
          .error.details.fields.map((f: { field: string; code: string }) => [f.field, f.code])
          .sort(),
        [
          ["email", "invalid_email"],
          ["phone", "invalid_phone"],
          ["timezone", "invalid_timezone"],
        ],
      );
      const email = await call("POST", "", { email: "ADA@example.com" });
      assert.equal(email.statusCode, 409);
      assert.equal(email.json().error.code, "email_taken");
      const userId = await call("POST", "", { userId: "ada", email: "other@example.com" });
      assert.equal(userId.statusCode, 409);
      assert.equal(userId.json().error.code, "user_id_taken");
      const typed = await call("POST", "", { email: 7 });
      assert.equal(typed.statusCode, 400);
      // 20,000 characters but 40,000 bytes of JSON: the 32 KB limit is in bytes.
      const large = await call("POST", "", {
        email: "large@example.com",
        attributes: { note: "é".repeat(20_000) },
      });
      assert.equal(large.statusCode, 400, large.body);
      assert.deepEqual(
        large.json().error.details.fields.map((f: { code: string }) => f.code),
        ["attributes_too_large"],
      );
    });

    it("updates with the same validation and re-evaluates the affected segments", async () => {
      await addSegment(ctx.alpha.businessId, "seg_pro", { attribute: "plan", op: "eq", value: "pro" });
      await addSegment(ctx.alpha.businessId, "seg_uk", {
        attribute: "phone",
        op: "startsWith",
        value: "+44",
      });
      const created = (await call("POST", "", { userId: "grace", attributes: { plan: "free" } })).json();
      const invalid = await call("PATCH", `/${created.id}`, { phone: "abc", timezone: "Nowhere" });
      assert.equal(invalid.statusCode, 400);
      assert.equal(invalid.json().error.details.fields.length, 2);

      const joined = await call("PATCH", `/${created.id}`, {
        attributes: { plan: "pro" },
        phone: "+447911123456",
      });
      assert.equal(joined.statusCode, 200, joined.body);
      assert.equal(joined.json().attributes.plan, "pro");
      const left = await call("PATCH", `/${created.id}`, { attributes: { plan: null } });
      assert.deepEqual(left.json().attributes, {});
      const log = await ctx.store.db
        .selectFrom("membership_events")
        .select(["segment_id", "change"])
        .where("customer_id", "=", created.id)
        .orderBy("seq")
        .execute();
      assert.deepEqual(
        log.map((l) => [l.segment_id, l.change]),
        [
          ["seg_pro", "joined"],
          ["seg_uk", "joined"],
          ["seg_pro", "left"],
        ],
      );

      const taken = await call("PATCH", `/${created.id}`, { userId: "ada" });
      assert.equal(taken.json().error.code, "user_id_taken");
      assert.equal((await call("PATCH", "/cus_missing", { locale: "de" })).statusCode, 404);
    });

    it("gets a customer with current segments and a paginated timeline, newest first", async () => {
      const track = (event: string, at: number) =>
        ctx.app.inject({
          method: "POST",
          url: "/v1/track",
          headers: basic(ctx.alpha.writeKey),
          payload: { userId: "grace", event, timestamp: new Date(at).toISOString() },
        });
      const base = Date.now() - 10 * 60_000;
      for (let i = 0; i < 5; i++) assert.equal((await track(`Step ${i}`, base + i * 1000)).statusCode, 200);
      const [grace] = (await call("GET", "?userId=grace")).json().data;
      const first = await call("GET", `/${grace.id}?timelineLimit=3`);
      assert.equal(first.statusCode, 200, first.body);
      const body = first.json();
      assert.equal(body.userId, "grace");
      assert.deepEqual(
        body.segments.map((s: { segmentId: string }) => s.segmentId),
        ["seg_uk"],
      );
      const entries = [...body.timeline.entries];
      let cursor = body.timeline.nextCursor;
      while (cursor) {
        const page = (await call("GET", `/${grace.id}?timelineLimit=3&timelineCursor=${cursor}`)).json();
        entries.push(...page.timeline.entries);
        cursor = page.timeline.nextCursor;
      }
      // 3 segment changes (made just now) then the 5 events, newest first.
      assert.deepEqual(
        entries.map((e: { kind: string; change?: string; name?: string }) =>
          e.kind === "segment" ? e.change : e.name,
        ),
        ["left", "joined", "joined", "Step 4", "Step 3", "Step 2", "Step 1", "Step 0"],
      );
      const ats = entries.map((e: { at: number }) => e.at);
      assert.deepEqual(
        ats,
        [...ats].sort((a, b) => b - a),
      );
      assert.equal((await call("GET", "/cus_nobody")).statusCode, 404);
    });

    it("lists with filters, search and cursor pages that cover everyone exactly once", async () => {
      for (let i = 0; i < 23; i++) {
        const response = await call("POST", "", {
          userId: `page-${String(i).padStart(2, "0")}`,
          email: `page${i}@example.org`,
          phone: i === 7 ? "+4915112345678" : undefined,
          attributes: { tier: i % 3 === 0 ? "gold" : "silver", n: i },
        });
        assert.equal(response.statusCode, 201, response.body);
      }
      const all = await ctx.store.db
        .selectFrom("customers")
        .select("id")
        .where("business_id", "=", ctx.alpha.businessId)
        .execute();
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { data: { id: string }[]; nextCursor: string | null } = (
          await call("GET", `?limit=4${cursor ? `&cursor=${cursor}` : ""}`)
        ).json();
        seen.push(...page.data.map((c) => c.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      assert.equal(pages, Math.ceil(all.length / 4));
      assert.equal(new Set(seen).size, seen.length, "no duplicates");
      assert.deepEqual([...seen].sort(), all.map((c) => c.id).sort(), "nobody missing");
      assert.deepEqual(seen, [...seen].sort(), "stable id order");

      const gold = (await call("GET", "?attribute.tier=gold&limit=200")).json().data;
      assert.equal(gold.length, 8);
      const numeric = (await call("GET", "?attribute.n=7")).json().data;
      assert.deepEqual(
        numeric.map((c: { userId: string }) => c.userId),
        ["page-07"],
      );
      const byEmail = (await call("GET", "?email=PAGE3@example.org")).json().data;
      assert.deepEqual(
        byEmail.map((c: { userId: string }) => c.userId),
        ["page-03"],
      );
      const prefix = (await call("GET", "?q=page-1")).json().data;
      assert.equal(prefix.length, 10);
      const phone = (await call("GET", "?q=%2B49151")).json().data;
      assert.deepEqual(
        phone.map((c: { userId: string }) => c.userId),
        ["page-07"],
      );
      const wildcard = (await call("GET", "?q=page_")).json().data;
      assert.equal(wildcard.length, 0, "_ is not a LIKE wildcard");
      const members = (await call("GET", "?segmentId=seg_uk")).json().data;
      assert.deepEqual(
        members.map((c: { userId: string }) => c.userId),
        ["grace"],
      );
      const combined = (await call("GET", "?attribute.tier=gold&q=page-0")).json().data;
      assert.deepEqual(
        combined.map((c: { userId: string }) => c.userId),
        ["page-00", "page-03", "page-06", "page-09"],
      );
      assert.equal((await call("GET", "?limit=201")).statusCode, 400);
      assert.equal((await call("GET", "?cursor=garbage")).json().error.code, "invalid_cursor");
      assert.equal((await call("GET", "?colour=red")).statusCode, 400);
    });

    it("keeps businesses apart", async () => {
      const own = (await call("GET", "?limit=200")).json().data.length;
      assert.ok(own > 20);
      const beta = await ctx.app.inject({
        url: `/api/v1/businesses/${ctx.beta.businessId}/customers`,
        headers: bearer(ctx.beta.apiKey),
      });
      assert.deepEqual(beta.json().data, []);
      const [someone] = (await call("GET", "?limit=1")).json().data;
      const cross = await ctx.app.inject({
        url: `/api/v1/businesses/${ctx.beta.businessId}/customers/${someone.id}`,
        headers: bearer(ctx.beta.apiKey),
      });
      assert.equal(cross.statusCode, 404);
      const foreignKey = await ctx.app.inject({ url: url(), headers: bearer(ctx.beta.apiKey) });
      assert.equal(foreignKey.statusCode, 404);
    });

    it("exports everything stored about a customer, then erases it with a suppression", async () => {
      const [grace] = (await call("GET", "?userId=grace")).json().data;
      await ctx.app.inject({
        method: "POST",
        url: "/v1/identify",
        headers: basic(ctx.alpha.writeKey),
        payload: { userId: "grace", anonymousId: "anon-grace", traits: { email: "grace@example.com" } },
      });
      const exported = await call("GET", `/${grace.id}/export`);
      assert.equal(exported.statusCode, 200, exported.body);
      assert.match(String(exported.headers["content-disposition"]), /attachment/);
      const data = exported.json();
      assert.equal(data.profile.email, "grace@example.com");
      assert.deepEqual(
        data.aliases.map((a: { anonymousId: string }) => a.anonymousId),
        ["anon-grace"],
      );
      assert.equal(data.events.filter((e: { type: string }) => e.type === "track").length, 5);
      assert.deepEqual(
        data.memberships.current.map((m: { segmentId: string }) => m.segmentId),
        ["seg_uk"],
      );
      assert.equal(data.memberships.history.length, 3);

      const erased = await call("DELETE", `/${grace.id}`);
      assert.equal(erased.statusCode, 200, erased.body);
      assert.deepEqual(erased.json().segmentsLeft, ["seg_uk"]);
      assert.equal(erased.json().deleted.events, 6);
      assert.equal(erased.json().suppressedIdentities, 3);
      const rows = async (table: "events" | "event_hits" | "customer_aliases" | "segment_members") =>
        ctx.store.db
          .selectFrom(table)
          .select("customer_id")
          .where("business_id", "=", ctx.alpha.businessId)
          .where("customer_id", "=", grace.id)
          .execute();
      for (const table of ["events", "event_hits", "customer_aliases", "segment_members"] as const) {
        assert.equal((await rows(table)).length, 0, `${table} purged`);
      }
      const log = await ctx.store.db
        .selectFrom("membership_events")
        .select(["segment_id", "change"])
        .where("customer_id", "=", grace.id)
        .orderBy("seq", "desc")
        .executeTakeFirst();
      assert.deepEqual(log, { segment_id: "seg_uk", change: "left" }, "journeys see the exit");
      assert.equal((await call("GET", `/${grace.id}`)).statusCode, 404);
      assert.equal((await call("DELETE", `/${grace.id}`)).statusCode, 404);

      const again = await ctx.app.inject({
        method: "POST",
        url: "/v1/identify",
        headers: basic(ctx.alpha.writeKey),
        payload: { userId: "grace", traits: { plan: "pro" } },
      });
      assert.equal(again.statusCode, 409, "as the API refuses it");
      assert.equal(again.json().error.code, "customer_erased");
      for (const body of [{ userId: "grace" }, { email: "Grace@example.com" }, { phone: "+447911123456" }]) {
        const create = await call("POST", "", body);
        assert.equal(create.statusCode, 409, JSON.stringify(body));
        assert.equal(create.json().error.code, "customer_erased");
      }
      assert.equal((await call("GET", "?userId=grace")).json().data.length, 0);
    });

    it("refuses customers over the starter plan's limit with 402 naming plan and limit", async () => {
      await fillCustomers(ctx.store, ctx.beta.businessId, 999);
      const create = (userId: string) =>
        ctx.app.inject({
          method: "POST",
          url: `/api/v1/businesses/${ctx.beta.businessId}/customers`,
          headers: bearer(ctx.beta.apiKey),
          payload: { userId },
        });
      assert.equal((await create("the-1000th")).statusCode, 201);
      const over = await create("the-1001st");
      assert.equal(over.statusCode, 402, over.body);
      assert.equal(over.json().error.code, "plan_limit_reached");
      assert.match(over.json().error.message, /Starter plan allows 1,000 customers/);
      assert.equal(over.json().error.details.limit, 1000);
    });
  });
}
