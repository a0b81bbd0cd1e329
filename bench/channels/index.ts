import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { Channel } from "../../packages/core/src";
import { createBusinessWithOwner } from "../../packages/server/src/accounts/bootstrap";
import type { ChannelProvider } from "../../packages/server/src/channels/provider";
import { ProviderCache } from "../../packages/server/src/channels/providers";
import { SecretBox } from "../../packages/server/src/channels/secret-box";
import { SenderThread } from "../../packages/server/src/channels/sender-thread";
import { putChannel } from "../../packages/server/src/channels/setup";
import { systemClock } from "../../packages/server/src/clock";
import { dispatchDue } from "../../packages/server/src/dispatcher/dispatch";
import { queueDelivery } from "../../packages/server/src/dispatcher/testing";
import { newId } from "../../packages/server/src/ids";
import type { Resources } from "../../packages/server/src/resources";
import { SegmentCatalogs } from "../../packages/server/src/segments/catalog";
import { writeJson } from "../../packages/server/src/store/json";
import { openSqliteStore } from "../../packages/server/src/store/sqlite/sqlite-store";
import { RenderThreads } from "../../packages/server/src/templates/render-threads";
import { createTemplate } from "../../packages/server/src/templates/templates";
import { LOCAL_OUTBOUND } from "../../packages/server/src/testing/outbound";
import type { Benchmark } from "../types";

/**
 * Messages per second through each channel's provider, end to end in the dispatcher as the
 * worker runs it — claim, decide, render (render threads), send on the sender thread through
 * the production client to the provider's local stand-in (a process of its own), record —
 * beside the same pipeline with a no-op provider measured in the same run. The ratio says what
 * the provider's own path (HTTP or SMTP round trips, connections, the sender thread) costs over
 * everything else; the no-op figure is the dispatcher's ceiling on the embedded store.
 */
interface Target {
  name: string;
  channel: Channel;
  upstream: string;
  setup(u: Record<string, unknown>): Record<string, unknown>;
  template: Record<string, unknown>;
  customer(
    i: number,
    upstream: Record<string, unknown>,
  ): { email?: string; phone?: string; addresses?: object };
}

/** Every email target sends the same template to the same customers. */
const EMAIL = {
  channel: "email" as const,
  template: {
    subject: "Order {{ customer.id }}",
    body: "<p>Hi {{ customer.email }}, your order shipped.</p>",
  },
  customer: (i: number) => ({ email: `c${i}@example.com` }),
};

/** SMTP to the local server with `maxConnections` (the pool's default when absent). */
const smtp = (name: string, maxConnections?: number): Target => ({
  ...EMAIL,
  name,
  upstream: "smtp",
  setup: (u) => ({
    provider: "smtp",
    host: "127.0.0.1",
    port: u.port,
    secure: false,
    from: "Shop <news@shop.example>",
    ...(maxConnections ? { maxConnections } : {}),
  }),
});

const TARGETS: Target[] = [
  smtp("email_smtp"),
  smtp("email_smtp_50_connections", 50),
  {
    ...EMAIL,
    name: "email_resend",
    upstream: "resend",
    setup: (u) => ({
      provider: "resend",
      apiKey: u.apiKey,
      from: "Shop <news@shop.example>",
      apiBaseUrl: u.url,
    }),
  },
  {
    name: "sms_twilio",
    channel: "sms",
    upstream: "twilio",
    setup: (u) => ({
      provider: "twilio",
      accountSid: u.accountSid,
      authToken: u.authToken,
      from: "+15005550006",
      apiBaseUrl: u.url,
    }),
    template: { body: "Hi {{ customer.phone }}, your order shipped." },
    customer: (i) => ({ phone: `+1415555${String(i).padStart(4, "0")}` }),
  },
  {
    name: "whatsapp_cloud",
    channel: "whatsapp",
    upstream: "whatsapp",
    setup: (u) => ({
      provider: "whatsapp_cloud",
      phoneNumberId: u.phoneNumberId,
      accessToken: u.accessToken,
      appSecret: "a".repeat(32),
      verifyToken: "bench-verify-token",
      apiBaseUrl: u.url,
    }),
    template: {
      whatsappTemplate: { name: "order_shipped", language: "en", parameters: ["{{ customer.phone }}"] },
    },
    customer: (i) => ({ phone: `+1415555${String(i).padStart(4, "0")}` }),
  },
  {
    name: "push_webpush",
    channel: "push",
    upstream: "push",
    setup: () => ({ provider: "webpush", subject: "mailto:ops@shop.example" }),
    template: { title: "Shipped", body: "Order {{ customer.id }} is on its way." },
    customer: (i, u) => ({ addresses: { push: [(u.subscriptions as object[])[i]] } }),
  },
  {
    name: "telegram",
    channel: "telegram",
    upstream: "telegram",
    setup: (u) => ({
      provider: "telegram",
      botToken: u.botToken,
      botUsername: u.botUsername,
      apiBaseUrl: u.url,
    }),
    template: { body: "Hi, your order shipped." },
    customer: (i) => ({ addresses: { telegram: { chatId: String(100_000 + i) } } }),
  },
];

/** Deliveries sent before the clock starts (threads loaded, connections open). */
const WARM = 50;

const bench: Benchmark = async ({ quick, log }) => {
  const count = quick ? 300 : 2000;
  const metrics: Record<string, number> = {};
  const baselines: Record<string, number> = {};
  const ratios: Record<string, number> = {};
  const notes: string[] = [
    `${count} messages per channel on the embedded store (SQLite), dispatcher batch 200, 64 sends in flight, providers on the sender thread; each provider's stand-in runs in its own process.`,
  ];
  for (const target of TARGETS) {
    const upstream = await startUpstream(target.upstream, count);
    try {
      const real = await measure(target, count, { upstream: upstream.config });
      const accepted = await upstream.stop();
      if (accepted !== count)
        throw new Error(`${target.name}: the upstream accepted ${accepted} of ${count}`);
      const noop = await measure(target, count, { upstream: upstream.config, noop: true });
      metrics[`${target.name}_messages_per_s`] = Math.round(real);
      baselines[`${target.name}_noop_messages_per_s`] = Math.round(noop);
      ratios[`${target.name}_vs_noop`] = real / noop;
      log(
        `${target.name}: ${Math.round(real)} messages/s, no-op provider ${Math.round(noop)} (${(real / noop).toFixed(2)})`,
      );
    } finally {
      upstream.kill();
    }
  }
  return { metrics, baselines, ratios, notes };
};

export default bench;

/** Sends `count` queued deliveries of `target` through the dispatcher; messages per second. */
async function measure(
  target: Target,
  count: number,
  options: { upstream: Record<string, unknown>; noop?: boolean },
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "journeys-bench-channels-"));
  const store = await openSqliteStore({ file: join(dir, "journeys.db") });
  const r: Resources = {
    store,
    clock: systemClock,
    newId,
    catalogs: new SegmentCatalogs(),
    outbound: LOCAL_OUTBOUND,
    renderer: new RenderThreads(),
    secrets: SecretBox.ephemeral(),
  };
  r.renderer.warm();
  const senders = new SenderThread({ allowPrivateNetwork: true });
  senders.warm();
  const providers = new ProviderCache(options.noop ? () => noopProvider(target.channel) : senders.build);
  try {
    const { businessId } = await createBusinessWithOwner(r, {
      name: "Bench",
      plan: "enterprise",
      ownerEmail: `bench-${Date.now()}@example.com`,
    });
    await putChannel(r, businessId, target.channel, target.setup(options.upstream));
    const template = await createTemplate(r, businessId, {
      name: "Shipped",
      channel: target.channel,
      transactional: true,
      ...target.template,
    });
    const now = Date.now();
    for (let i = 0; i < count; i += 500) {
      const rows = [];
      for (let j = i; j < Math.min(count, i + 500); j++) {
        const c = target.customer(j, options.upstream);
        rows.push({
          business_id: businessId,
          id: `cus_${String(j).padStart(8, "0")}`,
          user_id: `u${j}`,
          email: c.email ?? null,
          phone: c.phone ?? null,
          timezone: null,
          locale: null,
          attributes: writeJson({}),
          subscriptions: writeJson({ channels: { [target.channel]: "subscribed" } }),
          addresses: writeJson(c.addresses ?? {}),
          created_at: now,
          updated_at: now,
        });
      }
      await store.db.insertInto("customers").values(rows).execute();
    }
    for (let j = 0; j < count; j++) {
      await queueDelivery(r, {
        businessId,
        customerId: `cus_${String(j).padStart(8, "0")}`,
        templateId: template.id,
        channel: target.channel,
      });
    }
    // Warm the render threads, the sender thread and the provider's connections first: the
    // first WARM deliveries are sent before the clock starts.
    await dispatchDue(r, { providers, publicUrl: "https://journeys.example", batchSize: WARM });
    const started = performance.now();
    let sent = WARM;
    for (;;) {
      const report = await dispatchDue(r, {
        providers,
        publicUrl: "https://journeys.example",
        batchSize: 200,
      });
      sent += report.sent;
      if (report.failed + report.skipped + report.retried > 0)
        throw new Error(`${target.name}: ${JSON.stringify(report)}`);
      if (report.claimed === 0) break;
    }
    const seconds = (performance.now() - started) / 1000;
    if (sent !== count) throw new Error(`${target.name}: sent ${sent} of ${count}`);
    return (count - WARM) / seconds;
  } finally {
    await providers.close();
    await senders.close();
    await r.renderer.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Answers every send at once: the dispatcher's own cost without a provider's. */
function noopProvider(channel: Channel): ChannelProvider {
  let n = 0;
  return {
    channel,
    name: "noop",
    send: async () => ({ ok: true, providerMessageId: `noop-${++n}` }),
    close: async () => {},
  };
}

async function startUpstream(name: string, count: number) {
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "upstream.ts"), name, String(count)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise<string>((resolve) => lines.once("line", resolve));
  const config = JSON.parse(await next()) as Record<string, unknown>;
  return {
    config,
    async stop(): Promise<number> {
      child.stdin.write("END\n");
      return (JSON.parse(await next()) as { accepted: number }).accepted;
    },
    kill: () => child.kill(),
  };
}
