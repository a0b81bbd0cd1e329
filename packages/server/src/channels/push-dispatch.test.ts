import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createCustomer } from "../customers/edit";
import { customerById } from "../customers/find";
import { dispatchDue } from "../dispatcher/dispatch";
import type { DispatchOptions } from "../dispatcher/options";
import { deliveryRow, queueDelivery } from "../dispatcher/testing";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";
import { putChannel } from "./setup";
import { type BrowserSubscription, startTestPushService, type TestPushService } from "./test-push-service";

let named = 0;
/** A name no other template or journey of the test's business has (names are unique). */
const unique = (name: string) => `${name} ${++named}`;

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] push through the dispatcher`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const t = {} as {
      service: TestPushService;
      options: DispatchOptions;
      vapidPublicKey: string;
      templateId: string;
    };
    before(async () => {
      if (dialect.skip) return;
      t.service = await startTestPushService();
      t.options = { providers: localProviders(), publicUrl: "https://journeys.test", random: () => 0.5 };
      const setup = await putChannel(ctx.resources, ctx.alpha.businessId, "push", {
        provider: "webpush",
        subject: "mailto:ops@alpha.test",
      });
      t.vapidPublicKey = String(setup.vapidPublicKey);
      t.templateId = (
        await createTemplate(ctx.resources, ctx.alpha.businessId, {
          name: unique("Shipped"),
          channel: "push",
          title: "{{ customer.attributes.firstName }}, it shipped",
          body: "Arriving Friday",
          url: "https://alpha.test/orders",
        })
      ).id;
    });
    after(async () => {
      await t.options?.providers.close();
      await t.service?.close();
    });
    const subscribe = (): BrowserSubscription =>
      t.service.subscribe({ applicationServerKey: t.vapidPublicKey });
    const customerWith = async (push: BrowserSubscription[]) =>
      (
        await createCustomer(ctx.resources, ctx.alpha.businessId, {
          attributes: { firstName: "Ada" },
          subscriptions: { push: "subscribed" },
          addresses: { push },
        })
      ).customer.id;
    const deliver = async (customerId: string) => {
      const d = await queueDelivery(ctx.resources, {
        businessId: ctx.alpha.businessId,
        customerId,
        templateId: t.templateId,
        channel: "push",
      });
      await dispatchDue(ctx.resources, t.options);
      return deliveryRow(ctx.resources, ctx.alpha.businessId, d.id);
    };
    const pushOf = async (customerId: string) =>
      (await customerById(ctx.resources, ctx.alpha.businessId, customerId))?.addresses.push?.map(
        (s) => s.endpoint,
      );

    it("sends to every device and removes the one the push service calls gone", async () => {
      const [gone, live] = [subscribe(), subscribe()];
      t.service.expire(gone.endpoint, 410);
      const customerId = await customerWith([gone, live]);
      const row = await deliver(customerId);
      assert.equal(row.status, "sent", JSON.stringify(row.detail));
      assert.match(String(row.message_id), new RegExp(`^${t.service.origin}/message/`));
      assert.deepEqual(t.service.received.at(-1)?.payload, {
        title: "Ada, it shipped",
        body: "Arriving Friday",
        url: "https://alpha.test/orders",
      });
      assert.deepEqual(await pushOf(customerId), [live.endpoint], "the live device stays");
    });

    it("fails for good when every device is gone, and leaves the customer with none", async () => {
      const [a, b] = [subscribe(), subscribe()];
      t.service.expire(a.endpoint, 404);
      t.service.expire(b.endpoint, 410);
      const customerId = await customerWith([a, b]);
      const row = await deliver(customerId);
      assert.equal(row.status, "failed");
      assert.deepEqual(await pushOf(customerId), []);
      // The next message finds no device: skipped, as without a subscription.
      const next = await deliver(customerId);
      assert.equal(next.status, "skipped");
      assert.equal(next.detail?.reason, "no_push_subscription");
    });
  });
}
