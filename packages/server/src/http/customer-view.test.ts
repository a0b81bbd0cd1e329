import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHANNELS } from "@journeys/core";
import { toCustomerView } from "../customers/customer";
import { createCustomer } from "../customers/edit";
import { findCustomer } from "../customers/export";
import { readJson } from "../store/json";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] customer wire form`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);

    const stored = async (customerId: string) =>
      readJson<unknown>(
        (
          await ctx.store.db
            .selectFrom("customers")
            .select("subscriptions")
            .where("business_id", "=", ctx.alpha.businessId)
            .where("id", "=", customerId)
            .executeTakeFirstOrThrow()
        ).subscriptions,
      );

    it("lists every channel, `unknown` where no consent is recorded, and stores only what was recorded", async () => {
      const { customer: none } = await createCustomer(ctx.resources, ctx.alpha.businessId, {
        email: "none@example.com",
      });
      const found = await findCustomer(ctx.store.db, ctx.alpha.businessId, none.id);
      assert.deepEqual(toCustomerView(found).subscriptions, {
        email: "unknown",
        sms: "unknown",
        whatsapp: "unknown",
        telegram: "unknown",
        push: "unknown",
      });
      assert.deepEqual(Object.keys(toCustomerView(found).subscriptions), [...CHANNELS]);
      assert.deepEqual(await stored(none.id), { channels: {} });

      const { customer: some } = await createCustomer(ctx.resources, ctx.alpha.businessId, {
        email: "some@example.com",
        subscriptions: { email: "subscribed", sms: "unsubscribed" },
      });
      const view = toCustomerView(await findCustomer(ctx.store.db, ctx.alpha.businessId, some.id));
      assert.deepEqual(view.subscriptions, {
        email: "subscribed",
        sms: "unsubscribed",
        whatsapp: "unknown",
        telegram: "unknown",
        push: "unknown",
      });
      assert.deepEqual(await stored(some.id), { channels: { email: "subscribed", sms: "unsubscribed" } });
    });

    it("fills in only the response: the customer it is given keeps what was recorded", async () => {
      const { customer } = await createCustomer(ctx.resources, ctx.alpha.businessId, {
        email: "kept@example.com",
        subscriptions: { push: "subscribed" },
      });
      const view = toCustomerView(customer);
      assert.deepEqual(customer.subscriptions, { push: "subscribed" });
      assert.deepEqual({ ...view, subscriptions: customer.subscriptions }, customer);
    });
  });
}
