import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Business } from "../accounts/businesses";
import { putChannel } from "../channels/setup";
import { startTestTwilioServer, type TestTwilioServer } from "../channels/test-twilio-server";
import { startTestWhatsappServer, type TestWhatsappServer } from "../channels/test-whatsapp-server";
import { ManualClock } from "../clock";
import type { Customer } from "../customers/customer";
import { createCustomer, updateCustomer } from "../customers/edit";
import type { JourneysError } from "../errors";
import type { Resources } from "../resources";
import { parseContent } from "../templates/content";
import type { Template } from "../templates/template";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";
import { decide } from "./decide";
import { dispatchDue } from "./dispatch";
import type { DispatchOptions } from "./options";
import { fallbackDelivery } from "./record";
import { deliveryRow, queueDelivery, trailOf } from "./testing";
import { WHATSAPP_WINDOW_MS, whatsappContentFor, whatsappWindowOpen } from "./whatsapp-window";

let named = 0;
/** A name no other template or journey of the test's business has (names are unique). */
const unique = (name: string) => `${name} ${++named}`;

const HOUR = 3_600_000;
const NOW = Date.UTC(2030, 0, 1, 12);
const ref = { name: "order_update", language: "en", parameters: ["{{ customer.firstName }}"] };

describe("whatsapp window", () => {
  const customer = (lastInboundAt?: number) => ({
    addresses: lastInboundAt === undefined ? {} : { whatsapp: { lastInboundAt } },
  });
  const template = (content: { body?: string; whatsappTemplate?: typeof ref }) =>
    ({
      id: "tpl_w",
      name: "W",
      channel: "whatsapp",
      transactional: false,
      createdAt: 0,
      updatedAt: 0,
      ...content,
    }) as Extract<Template, { channel: "whatsapp" }>;

  it("is open for 24 hours after the customer's last message, and closed without one", () => {
    assert.equal(whatsappWindowOpen(customer(), NOW), false);
    assert.equal(whatsappWindowOpen(customer(NOW - HOUR), NOW), true);
    assert.equal(whatsappWindowOpen(customer(NOW - WHATSAPP_WINDOW_MS + 1), NOW), true);
    assert.equal(whatsappWindowOpen(customer(NOW - WHATSAPP_WINDOW_MS), NOW), false);
  });

  it("picks the body inside the window and the approved template outside it", () => {
    const both = template({ body: "Hi", whatsappTemplate: ref });
    assert.deepEqual(whatsappContentFor(both, true), template({ body: "Hi" }));
    assert.deepEqual(whatsappContentFor(both, false), template({ whatsappTemplate: ref }));
    assert.deepEqual(
      whatsappContentFor(template({ whatsappTemplate: ref }), true),
      template({ whatsappTemplate: ref }),
    );
    assert.equal(whatsappContentFor(template({ body: "Hi" }), false), null);
  });

  it("lets a template hold a body, an approved template or both, but not neither", () => {
    assert.deepEqual(parseContent("whatsapp", { body: "Hi", whatsappTemplate: ref }), {
      body: "Hi",
      whatsappTemplate: ref,
    });
    const fields = (input: Record<string, unknown>) => {
      try {
        parseContent("whatsapp", input);
        return [];
      } catch (error) {
        return (error as JourneysError & { details: { fields: unknown[] } }).details.fields;
      }
    };
    assert.deepEqual(fields({}), [{ field: "body", message: "is required (or whatsappTemplate, or both)" }]);
    assert.deepEqual(fields({ body: " ", whatsappTemplate: ref }), [
      { field: "body", message: "must not be empty" },
    ]);
  });

  it("skips free text outside the window for a reason that tries the fallback channels", () => {
    const facts = {
      channel: "whatsapp" as const,
      customer: {
        phone: "+4915112345678",
        subscriptions: { whatsapp: "subscribed" },
        addresses: {},
      } as unknown as Customer,
      template: template({ body: "Hi" }),
      business: { settings: { emailOptOut: false } } as unknown as Business,
      channelReady: true,
      journeyArchived: false,
      now: NOW,
    };
    const decision = decide(facts);
    assert.ok(!decision.send && decision.reason === "outside_whatsapp_window", JSON.stringify(decision));
    assert.match(decision.why, /within 24 hours of the customer's last message/);
    const open = decide({
      ...facts,
      customer: { ...facts.customer, addresses: { whatsapp: { lastInboundAt: NOW - HOUR } } },
    });
    assert.ok(open.send);

    const claimed = {
      businessId: "bus_t",
      id: "dlv_t",
      deliveryKey: "enr_t:hi",
      enrollmentId: "enr_t",
      journeyId: "jrn_t",
      nodeId: "hi",
      customerId: "cus_t",
      channel: "whatsapp" as const,
      templateId: "tpl_w",
      context: { fallback: [{ channel: "sms" as const, templateId: "tpl_s" }] },
      attempt: 1,
      leaseUntil: NOW,
    };
    const r = { newId: () => "dlv_next" } as unknown as Resources;
    const next = fallbackDelivery(
      r,
      claimed,
      { status: "skipped", reason: decision.reason, why: decision.why },
      NOW,
    );
    assert.equal(next?.channel, "sms");
  });
});

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] whatsapp window at send time`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const t = {} as {
      wa: TestWhatsappServer;
      twilio: TestTwilioServer;
      clock: ManualClock;
      r: Resources;
      options: DispatchOptions;
      businessId: string;
      tpl: { body: string; both: string; sms: string };
    };

    before(async () => {
      if (dialect.skip) return;
      t.wa = await startTestWhatsappServer();
      // The stand-in refuses free text to anyone not in this set, as the Cloud API does.
      t.wa.openWindows = new Set();
      t.twilio = await startTestTwilioServer();
      t.clock = new ManualClock(NOW);
      t.r = { ...ctx.resources, clock: t.clock };
      t.businessId = ctx.alpha.businessId;
      t.options = {
        providers: localProviders(),
        publicUrl: "https://journeys.test",
        random: () => 0.5,
        retry: { maxAttempts: 3, baseMs: 30_000 },
      };
      await putChannel(t.r, t.businessId, "whatsapp", {
        provider: "whatsapp_cloud",
        phoneNumberId: t.wa.phoneNumberId,
        accessToken: t.wa.accessToken,
        appSecret: "0123456789abcdef0123456789abcdef",
        verifyToken: "verify",
        apiBaseUrl: t.wa.url,
      });
      await putChannel(t.r, t.businessId, "sms", {
        provider: "twilio",
        accountSid: t.twilio.accountSid,
        authToken: t.twilio.authToken,
        from: "+15005550006",
        apiBaseUrl: t.twilio.url,
      });
      const template = async (content: Record<string, unknown>) =>
        (await createTemplate(t.r, t.businessId, { name: unique("T"), ...content })).id;
      t.tpl = {
        body: await template({
          channel: "whatsapp",
          body: "Hi {{ customer.firstName }}, your order shipped",
        }),
        both: await template({
          channel: "whatsapp",
          body: "Hi {{ customer.firstName }}",
          whatsappTemplate: ref,
        }),
        sms: await template({ channel: "sms", body: "SMS for {{ customer.firstName }}" }),
      };
    });
    after(async () => {
      await t.options?.providers.close();
      await t.wa?.close();
      await t.twilio?.close();
    });

    const drain = async () => {
      for (let i = 0; i < 5; i++) await dispatchDue(t.r, t.options);
    };
    const person = async (phone: string, lastInboundAt?: number) => {
      const { customer } = await createCustomer(t.r, t.businessId, {
        phone,
        attributes: { firstName: "Ada" },
        subscriptions: { whatsapp: "subscribed", sms: "subscribed" },
      });
      if (lastInboundAt !== undefined) {
        await updateCustomer(t.r, t.businessId, customer.id, { addresses: { whatsapp: { lastInboundAt } } });
        if (whatsappWindowOpen({ addresses: { whatsapp: { lastInboundAt } } }, t.clock.now()))
          t.wa.openWindows?.add(phone.slice(1));
      }
      return customer.id;
    };
    const send = async (customerId: string, templateId: string, fallback = false) => {
      const queued = await queueDelivery(t.r, {
        businessId: t.businessId,
        customerId,
        channel: "whatsapp",
        templateId,
        ...(fallback ? { fallback: [{ channel: "sms" as const, templateId: t.tpl.sms }] } : {}),
      });
      await drain();
      return queued;
    };

    it("skips a free-text template outside the window, and the SMS fallback goes out", async () => {
      const id = await person("+4915112345610");
      const requests = t.wa.requests();
      const first = await send(id, t.tpl.body, true);
      const row = await deliveryRow(t.r, t.businessId, first.id);
      assert.equal(row.status, "skipped");
      assert.equal(row.detail?.reason, "outside_whatsapp_window");
      assert.equal(t.wa.requests(), requests, "nothing was sent to WhatsApp");
      assert.deepEqual(
        t.twilio.messages.filter((m) => m.to === "+4915112345610").map((m) => m.body),
        ["SMS for Ada"],
      );
      const [skipped] = await trailOf(t.r, t.businessId, first.enrollmentId);
      assert.match(skipped.message, /24 hours of the customer's last message; .*Trying sms instead\.$/);
    });

    it("sends free text inside the window, and stops when 24 hours have passed", async () => {
      const id = await person("+4915112345611", NOW - HOUR);
      const inside = await send(id, t.tpl.body);
      assert.equal((await deliveryRow(t.r, t.businessId, inside.id)).status, "sent");
      assert.deepEqual(t.wa.messages.at(-1)?.body.text, {
        body: "Hi Ada, your order shipped",
        preview_url: false,
      });

      t.clock.advance(WHATSAPP_WINDOW_MS);
      const outside = await send(id, t.tpl.body);
      assert.equal(
        (await deliveryRow(t.r, t.businessId, outside.id)).detail?.reason,
        "outside_whatsapp_window",
      );
    });

    it("with both, sends the body inside the window and the approved template outside it", async () => {
      const now = t.clock.now();
      const inWindow = await person("+4915112345612", now - HOUR);
      const outOfWindow = await person("+4915112345613", now - 2 * WHATSAPP_WINDOW_MS);
      await send(inWindow, t.tpl.both);
      const text = t.wa.messages.at(-1)!.body;
      assert.deepEqual(
        [text.to, text.type, text.text],
        ["4915112345612", "text", { body: "Hi Ada", preview_url: false }],
      );
      await send(outOfWindow, t.tpl.both);
      const template = t.wa.messages.at(-1)!.body;
      assert.deepEqual(
        [template.to, template.type, template.template],
        [
          "4915112345613",
          "template",
          {
            name: "order_update",
            language: { code: "en" },
            components: [{ type: "body", parameters: [{ type: "text", text: "Ada" }] }],
          },
        ],
      );
    });
  });
}
