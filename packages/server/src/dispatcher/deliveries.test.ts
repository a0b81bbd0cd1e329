import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, expect } from "../segments/testing";
import { writeJson } from "../store/json";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { queueDelivery } from "./testing";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] deliveries list`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const set = (id: string, values: Record<string, unknown>) =>
      ctx.store.db.updateTable("deliveries").set(values).where("id", "=", id).execute();

    it("shows each delivery's status as the API names it, newest first, filtered and paged", async () => {
      const b = ctx.alpha.businessId;
      const queued = await queueDelivery(ctx.resources, {
        businessId: b,
        customerId: "cus_1",
        templateId: "tpl_1",
      });
      const sending = await queueDelivery(ctx.resources, {
        businessId: b,
        customerId: "cus_1",
        templateId: "tpl_1",
      });
      const deferred = await queueDelivery(ctx.resources, {
        businessId: b,
        customerId: "cus_2",
        templateId: "tpl_1",
      });
      const skipped = await queueDelivery(ctx.resources, {
        businessId: b,
        customerId: "cus_2",
        templateId: "tpl_1",
        channel: "sms",
      });
      const opened = await queueDelivery(ctx.resources, {
        businessId: b,
        customerId: "cus_3",
        templateId: "tpl_1",
      });
      await queueDelivery(ctx.resources, {
        businessId: ctx.beta.businessId,
        customerId: "cus_9",
        templateId: "tpl_9",
      });
      await set(sending.id, { status: "sending", attempts: 1 });
      await set(deferred.id, {
        detail: writeJson({
          deferred: "quiet_hours",
          message: "quiet hours until 08:00",
          until: 1_800_000_000_000,
        }),
        next_attempt_at: 1_800_000_000_000,
      });
      await set(skipped.id, {
        status: "skipped",
        detail: writeJson({ reason: "no_consent", message: "not subscribed" }),
      });
      await set(opened.id, { status: "opened", message_id: "SM1", sent_at: 5, detail: writeJson(null) });

      const all = await api(ctx, ctx.alpha, "GET", "/deliveries").then(expect(200));
      // Newest first: ids sort by creation time (those made in one millisecond, at random).
      const expected = [
        [opened.id, "opened", undefined],
        [skipped.id, "skipped", "no_consent"],
        [deferred.id, "deferred", "quiet_hours"],
        [sending.id, "queued", undefined],
        [queued.id, "queued", undefined],
      ].sort((a, b) => (a[0]! < b[0]! ? 1 : -1));
      assert.deepEqual(
        all.data.map((d: { id: string; status: string; reason?: string }) => [d.id, d.status, d.reason]),
        expected,
      );
      const row = (id: string) => all.data.find((d: { id: string }) => d.id === id);
      const shown = row(opened.id);
      assert.equal(shown.providerMessageId, "SM1");
      assert.equal(shown.journeyId, "jrn_test");
      assert.equal(shown.channel, "email");
      assert.equal(row(deferred.id).nextAttemptAt, 1_800_000_000_000);

      const byCustomer = await api(ctx, ctx.alpha, "GET", "/deliveries?customerId=cus_2").then(expect(200));
      assert.deepEqual(
        byCustomer.data.map((d: { id: string }) => d.id),
        [skipped.id, deferred.id].sort().reverse(),
      );
      const sms = await api(ctx, ctx.alpha, "GET", "/deliveries?channel=sms").then(expect(200));
      assert.deepEqual(
        sms.data.map((d: { id: string }) => d.id),
        [skipped.id],
      );
      assert.equal(
        (await api(ctx, ctx.alpha, "GET", "/deliveries?journeyId=jrn_other").then(expect(200))).data.length,
        0,
      );

      const first = await api(ctx, ctx.alpha, "GET", "/deliveries?limit=2").then(expect(200));
      const second = await api(ctx, ctx.alpha, "GET", `/deliveries?limit=2&cursor=${first.nextCursor}`).then(
        expect(200),
      );
      const third = await api(ctx, ctx.alpha, "GET", `/deliveries?limit=2&cursor=${second.nextCursor}`).then(
        expect(200),
      );
      assert.deepEqual(
        [...first.data, ...second.data, ...third.data].map((d: { id: string }) => d.id),
        all.data.map((d: { id: string }) => d.id),
      );
      assert.equal(third.nextCursor, null);
      const bad = await api(ctx, ctx.alpha, "GET", "/deliveries?cursor=bm9wZQ").then(expect(400));
      assert.equal(bad.error.code, "invalid_cursor");
      assert.equal((await api(ctx, ctx.beta, "GET", "/deliveries").then(expect(200))).data.length, 1);
    });
  });
}
