import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Channel } from "@journeys/core";
import { putChannel } from "../channels/setup";
import { startTestResendServer, type TestResendServer } from "../channels/test-resend-server";
import { startTestTelegramServer, type TestTelegramServer } from "../channels/test-telegram-server";
import { startTestTwilioServer, type TestTwilioServer } from "../channels/test-twilio-server";
import { startTestWhatsappServer, type TestWhatsappServer } from "../channels/test-whatsapp-server";
import { ManualClock } from "../clock";
import { createCustomer } from "../customers/edit";
import type { ProfilePatch } from "../customers/profile";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";
import { dispatchDue } from "./dispatch";
import type { DispatchOptions } from "./options";
import { deliveryRow, queueDelivery } from "./testing";

/**
 * Each HTTP provider's faults through the dispatcher: a 500, a 503 with Retry-After, a 429 and a
 * reset connection each leave the delivery queued for a retry (not before Retry-After), the retry
 * sends it, and the provider's stand-in has it exactly once; a permanent refusal fails it at once
 * with the provider's reason and nothing is sent. (Hangs are the providers' own tests: they
 * take the client's time-out.)
 */
type Fault = { kind: "500" | "503" | "429" | "reset" | "permanent" };

interface Upstream {
  channel: Channel;
  setup(): Record<string, unknown>;
  template: Record<string, unknown>;
  customer(i: number): ProfilePatch;
  fail(fault: Fault["kind"]): void;
  /** Messages the stand-in accepted for the customer's address `i`. */
  accepted(i: number): number;
}

const H = 3_600_000;

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] provider faults through the dispatcher`, { skip: dialect.skip }, () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 7, 12));
    const ctx = useApp(dialect, { clock: () => clock });
    const s = {} as {
      twilio: TestTwilioServer;
      resend: TestResendServer;
      telegram: TestTelegramServer;
      whatsapp: TestWhatsappServer;
    };
    let options: DispatchOptions;
    before(async () => {
      if (dialect.skip) return;
      s.twilio = await startTestTwilioServer();
      s.resend = await startTestResendServer();
      s.telegram = await startTestTelegramServer();
      s.whatsapp = await startTestWhatsappServer();
      for (let i = 0; i < 20; i++) s.telegram.addChat(String(500 + i));
      options = { providers: localProviders(), publicUrl: "https://journeys.test", random: () => 0.5 };
    });
    after(async () => {
      await options?.providers.close();
      await Promise.all([s.twilio?.close(), s.resend?.close(), s.telegram?.close(), s.whatsapp?.close()]);
    });

    const phone = (i: number) => `+1415555${String(1000 + i)}`;
    const upstreams = (): Record<string, Upstream> => ({
      twilio: {
        channel: "sms",
        setup: () => ({
          provider: "twilio",
          accountSid: s.twilio.accountSid,
          authToken: s.twilio.authToken,
          from: "+15005550006",
          apiBaseUrl: s.twilio.url,
        }),
        template: { body: "Your code is 1234" },
        customer: (i) => ({ phone: phone(i) }),
        fail: (kind) =>
          s.twilio.failNext(
            kind === "reset"
              ? "reset"
              : kind === "permanent"
                ? { status: 400, code: 21211, message: "The 'To' number is not a valid phone number." }
                : {
                    status: Number(kind),
                    code: 20000 + Number(kind),
                    ...(kind === "503" ? { retryAfter: "120" } : {}),
                  },
          ),
        accepted: (i) => s.twilio.messages.filter((m) => m.to === phone(i)).length,
      },
      resend: {
        channel: "email",
        setup: () => ({
          provider: "resend",
          apiKey: s.resend.apiKey,
          from: "news@shop.example",
          apiBaseUrl: s.resend.url,
        }),
        template: { subject: "Receipt", body: "<p>Thanks</p>" },
        customer: (i) => ({ email: `fault${i}@example.com` }),
        fail: (kind) =>
          s.resend.failNext(
            kind === "reset"
              ? "reset"
              : kind === "permanent"
                ? { status: 422, name: "validation_error", message: "Invalid `to` field." }
                : {
                    status: Number(kind),
                    name: "rate_limit_exceeded",
                    ...(kind === "503" ? { retryAfter: "120" } : {}),
                  },
          ),
        accepted: (i) => s.resend.emails.filter((m) => m.to.includes(`fault${i}@example.com`)).length,
      },
      telegram: {
        channel: "telegram",
        setup: () => ({
          provider: "telegram",
          botToken: s.telegram.botToken,
          botUsername: s.telegram.botUsername,
          apiBaseUrl: s.telegram.url,
        }),
        template: { body: "Your code is 1234" },
        customer: (i) => ({ addresses: { telegram: { chatId: String(500 + i) } } }),
        fail: (kind) =>
          s.telegram.failNext(
            kind === "reset"
              ? "reset"
              : kind === "permanent"
                ? { status: 400, description: "Bad Request: chat not found" }
                : kind === "429"
                  ? { status: 429, description: "Too Many Requests: retry after 120", retryAfter: 120 }
                  : {
                      status: Number(kind),
                      description: "Internal Server Error",
                      ...(kind === "503" ? { retryAfterHeader: "120" } : {}),
                    },
          ),
        accepted: (i) => s.telegram.messages.filter((m) => m.chatId === String(500 + i)).length,
      },
      whatsapp: {
        channel: "whatsapp",
        setup: () => ({
          provider: "whatsapp_cloud",
          phoneNumberId: s.whatsapp.phoneNumberId,
          accessToken: s.whatsapp.accessToken,
          appSecret: "0123456789abcdef0123456789abcdef",
          verifyToken: "verify-me",
          apiBaseUrl: s.whatsapp.url,
        }),
        template: { whatsappTemplate: { name: "order_update", language: "en", parameters: ["1234"] } },
        customer: (i) => ({ phone: phone(i) }),
        fail: (kind) =>
          s.whatsapp.failNext(
            kind === "reset"
              ? "reset"
              : kind === "permanent"
                ? { status: 400, code: 131026, message: "Message undeliverable" }
                : kind === "429"
                  ? { status: 429, code: 130429, message: "Rate limit hit" }
                  : {
                      status: Number(kind),
                      code: 2,
                      message: "Service temporarily unavailable",
                      ...(kind === "503" ? { retryAfter: "120" } : {}),
                    },
          ),
        accepted: (i) =>
          s.whatsapp.messages.filter((m) => (m.body as { to?: string }).to === phone(i).slice(1)).length,
      },
    });

    let n = 0;
    for (const name of ["twilio", "resend", "telegram", "whatsapp"]) {
      it(`${name}: retries 500, 503 + Retry-After, 429 and a reset until sent once; fails a permanent refusal at once`, async () => {
        const u = upstreams()[name]!;
        const b = ctx.alpha.businessId;
        await putChannel(ctx.resources, b, u.channel, u.setup());
        const template = await createTemplate(ctx.resources, b, {
          name: `${name} receipt`,
          channel: u.channel,
          transactional: true,
          ...u.template,
        });
        for (const kind of ["500", "503", "429", "reset", "permanent"] as const) {
          const i = n++;
          const { customer } = await createCustomer(ctx.resources, b, u.customer(i));
          const queued = await queueDelivery(ctx.resources, {
            businessId: b,
            customerId: customer.id,
            templateId: template.id,
            channel: u.channel,
          });
          u.fail(kind);
          const first = await dispatchDue(ctx.resources, options);
          const row = await deliveryRow(ctx.resources, b, queued.id);
          if (kind === "permanent") {
            assert.equal(first.failed, 1, `${name} ${kind}: ${JSON.stringify(first)}`);
            assert.equal(row.status, "failed");
            assert.match(JSON.stringify(row.detail), /permanent/);
            assert.equal(u.accepted(i), 0);
            continue;
          }
          assert.equal(
            first.retried,
            1,
            `${name} ${kind}: ${JSON.stringify(first)} ${JSON.stringify(row.detail)}`,
          );
          assert.equal(row.status, "queued");
          const wait = Number(row.next_attempt_at) - clock.now();
          if (
            kind === "503" ||
            (kind === "429" && name !== "twilio" && name !== "whatsapp" && name !== "resend")
          )
            assert.ok(wait >= 120_000, `${name} ${kind}: waits for Retry-After (${wait} ms)`);
          assert.equal(u.accepted(i), 0, `${name} ${kind}: nothing sent yet`);
          clock.advance(H);
          const second = await dispatchDue(ctx.resources, options);
          assert.equal(second.sent, 1, `${name} ${kind} retry: ${JSON.stringify(second)}`);
          assert.equal((await deliveryRow(ctx.resources, b, queued.id)).status, "sent");
          assert.equal(u.accepted(i), 1, `${name} ${kind}: sent exactly once`);
          clock.advance(H);
          assert.equal((await dispatchDue(ctx.resources, options)).claimed, 0, "nothing left to send");
        }
      });
    }
  });
}
