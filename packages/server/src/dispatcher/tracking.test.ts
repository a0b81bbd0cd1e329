import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useStore } from "../testing/use-store";
import { queueDelivery } from "./testing";
import { advanceDelivery, advanceDeliveryById } from "./tracking";

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] delivery status from callbacks`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect);
    const sent = async (messageId: string) => {
      const { id } = await queueDelivery(ctx.resources, {
        businessId: "bus_t",
        customerId: "cus_t",
        templateId: "tpl_t",
      });
      await ctx.store.db
        .updateTable("deliveries")
        .set({ status: "sent", message_id: messageId })
        .where("id", "=", id)
        .execute();
      return id;
    };
    const status = async (id: string) =>
      (
        await ctx.store.db
          .selectFrom("deliveries")
          .select("status")
          .where("id", "=", id)
          .executeTakeFirstOrThrow()
      ).status;

    it("moves only forward, whatever order the callbacks arrive in", async () => {
      const id = await sent("SM1");
      assert.equal((await advanceDelivery(ctx.resources, "bus_t", "SM1", "opened"))?.status, "opened");
      assert.equal((await advanceDelivery(ctx.resources, "bus_t", "SM1", "delivered"))?.status, "opened");
      assert.equal((await advanceDelivery(ctx.resources, "bus_t", "SM1", "failed"))?.status, "opened");
      assert.equal(await advanceDeliveryById(ctx.resources, "bus_t", id, "clicked"), true);
      assert.equal(await advanceDeliveryById(ctx.resources, "bus_t", id, "opened"), false);
      assert.equal(await status(id), "clicked");
    });

    it("keeps the first of delivered and bounced, records the reason, and ignores unknown ids", async () => {
      const bounced = await sent("SM2");
      await advanceDelivery(ctx.resources, "bus_t", "SM2", "bounced", {
        code: "550",
        message: "no such user",
      });
      await advanceDelivery(ctx.resources, "bus_t", "SM2", "delivered");
      assert.equal(await status(bounced), "bounced");
      const detail = await ctx.store.db
        .selectFrom("deliveries")
        .select("detail")
        .where("id", "=", bounced)
        .executeTakeFirstOrThrow();
      assert.match(JSON.stringify(detail.detail), /no such user/);
      assert.equal(await advanceDelivery(ctx.resources, "bus_t", "SM-unknown", "delivered"), null);
      assert.equal(
        await advanceDelivery(ctx.resources, "bus_other", "SM2", "delivered"),
        null,
        "another business's id",
      );
    });

    it("does not move a delivery that was never sent", async () => {
      const { id } = await queueDelivery(ctx.resources, {
        businessId: "bus_t",
        customerId: "cus_t",
        templateId: "tpl_t",
      });
      assert.equal(await advanceDeliveryById(ctx.resources, "bus_t", id, "opened"), false);
      assert.equal(await status(id), "queued");
    });
  });
}
