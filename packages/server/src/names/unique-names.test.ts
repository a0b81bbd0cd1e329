import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, expect } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] names are unique per business`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);

    it("refuses a second segment, template or journey of the same name (any case), naming the first", async () => {
      const pro = await api(ctx, ctx.alpha, "POST", "/segments", { name: "Pro plan", rule: null }).then(
        expect(201),
      );
      const clash = await api(ctx, ctx.alpha, "POST", "/segments", { name: " pro PLAN ", rule: null }).then(
        expect(409),
      );
      assert.equal(clash.error.code, "name_taken");
      assert.equal(
        clash.error.message,
        `a segment named "pro PLAN" already exists (${pro.id}): names are unique per business`,
      );
      // Another business may use it; the segment may keep its own name or take a free one.
      await api(ctx, ctx.beta, "POST", "/segments", { name: "Pro plan", rule: null }).then(expect(201));
      await api(ctx, ctx.alpha, "PATCH", `/segments/${pro.id}`, { name: "Pro plan" }).then(expect(200));
      const other = await api(ctx, ctx.alpha, "POST", "/segments", { name: "Trial", rule: null }).then(
        expect(201),
      );
      assert.equal(
        (await api(ctx, ctx.alpha, "PATCH", `/segments/${other.id}`, { name: "PRO plan" }).then(expect(409)))
          .error.code,
        "name_taken",
      );

      const body = { channel: "sms", body: "Hi" };
      const welcome = await api(ctx, ctx.alpha, "POST", "/templates", { name: "Welcome", ...body }).then(
        expect(201),
      );
      assert.equal(
        (await api(ctx, ctx.alpha, "POST", "/templates", { name: "welcome", ...body }).then(expect(409)))
          .error.details.id,
        welcome.id,
      );
      const second = await api(ctx, ctx.alpha, "POST", "/templates", { name: "Second", ...body }).then(
        expect(201),
      );
      await api(ctx, ctx.alpha, "PATCH", `/templates/${second.id}`, { name: "WELCOME" }).then(expect(409));

      const journey = {
        trigger: { type: "event", event: "Signed Up" },
        start: "hi",
        nodes: { hi: { type: "message", channel: "sms", templateId: welcome.id, next: null } },
      };
      const first = await api(ctx, ctx.alpha, "POST", "/journeys", { name: "Onboarding", ...journey }).then(
        expect(201),
      );
      await api(ctx, ctx.alpha, "POST", "/journeys", { name: "onboarding", ...journey }).then(expect(409));
      const copy = await api(ctx, ctx.alpha, "POST", `/journeys/${first.id}/duplicate`).then(expect(201));
      const copy2 = await api(ctx, ctx.alpha, "POST", `/journeys/${first.id}/duplicate`).then(expect(201));
      assert.deepEqual([copy.name, copy2.name], ["Copy of Onboarding", "Copy of Onboarding (2)"]);
      await api(ctx, ctx.alpha, "PATCH", `/journeys/${copy.id}`, { name: "Onboarding", ...journey }).then(
        expect(409),
      );
      // An archived journey's name is free again.
      await api(ctx, ctx.alpha, "POST", `/journeys/${first.id}/archive`).then(expect(200));
      await api(ctx, ctx.alpha, "POST", "/journeys", { name: "Onboarding", ...journey }).then(expect(201));
    });

    it("refuses a customer with no identity, as CSV import does", async () => {
      const none = await api(ctx, ctx.alpha, "POST", "/customers", { attributes: { plan: "pro" } }).then(
        expect(400),
      );
      assert.equal(none.error.code, "missing_identity");
      await api(ctx, ctx.alpha, "POST", "/customers", { email: "   " }).then(expect(400));
      await api(ctx, ctx.alpha, "POST", "/customers", { phone: "+4915112345678" }).then(expect(201));
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] migration 0013: names made unique`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);

    it("renames every copy after the oldest, ignores archived journeys, then holds the rule", async () => {
      const { sql } = await import("kysely");
      const { up } = await import("../store/migrations/0013_unique_names");
      const db = ctx.store.db;
      for (const index of ["segments_name", "templates_name", "journeys_name"])
        await sql`drop index ${sql.id(index)}`.execute(db);
      const b = ctx.alpha.businessId;
      const row = { business_id: b, rule: null, created_at: 1, updated_at: 1 };
      await db
        .insertInto("segments")
        .values([
          { ...row, id: "seg_a1", name: "VIP" },
          { ...row, id: "seg_a2", name: "vip" },
          { ...row, id: "seg_a3", name: "VIP" },
          { ...row, id: "seg_a4", name: "Other" },
          { ...row, business_id: ctx.beta.businessId, id: "seg_b1", name: "VIP" },
        ])
        .execute();
      await up(db as never, ctx.store.dialect);
      const names = await db
        .selectFrom("segments")
        .select(["id", "name"])
        .where("id", "like", "seg_%")
        .where("id", "in", ["seg_a1", "seg_a2", "seg_a3", "seg_a4", "seg_b1"])
        .orderBy("id")
        .execute();
      assert.deepEqual(
        names.map((n) => n.name),
        ["VIP", "vip (seg_a2)", "VIP (seg_a3)", "Other", "VIP"],
      );
      await assert.rejects(
        db
          .insertInto("segments")
          .values({ ...row, id: "seg_a5", name: "OTHER" })
          .execute(),
      );
    });
  });
}
