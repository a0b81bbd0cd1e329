import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { putChannel } from "../channels/setup";
import { createCustomer } from "../customers/edit";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";
import { startDispatcher } from "./loop";
import { queueDelivery } from "./testing";

/**
 * A slow mail server behind one pooled connection: most sends wait longer than a claim's lease
 * for room to go. Each delivery must still go out once — the fence is checked when a send
 * really starts, not before it waits.
 */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] sends waiting for a connection`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const messageIds: string[] = [];
    let delayMs = 150;
    let server: SMTPServer;
    let port = 0;
    before(async () => {
      if (dialect.skip) return;
      server = new SMTPServer({
        authOptional: true,
        // No reverse DNS of the client: where no DNS server answers (as on CI machines), each
        // new connection waits ~100 ms for the lookup to give up before the greeting.
        disableReverseLookup: true,
        disabledCommands: ["STARTTLS"],
        logger: false,
        onData(stream, _session, callback) {
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", async () => {
            messageIds.push((await simpleParser(Buffer.concat(chunks))).messageId ?? "");
            setTimeout(() => callback(), delayMs);
          });
        },
      });
      server.on("error", () => {});
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.server.address() as AddressInfo).port;
    });
    after(async () => {
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    /** Queues `total` deliveries, runs two dispatcher lanes until all are sent, returns the sink's ids. */
    const deliverAll = async (total: number, maxConnections: number, prefix: string) => {
      const r = ctx.resources;
      const businessId = ctx.alpha.businessId;
      await putChannel(r, businessId, "email", {
        provider: "smtp",
        host: "127.0.0.1",
        port,
        secure: false,
        from: "news@shop.example",
        maxConnections,
      });
      const template = await createTemplate(r, businessId, {
        name: `Hi ${prefix}`,
        channel: "email",
        subject: "Hi",
        body: "<p>Hi</p>",
      });
      messageIds.length = 0;
      for (let i = 0; i < total; i++) {
        const { customer } = await createCustomer(r, businessId, {
          email: `${prefix}-${i}@example.com`,
          subscriptions: { email: "subscribed" },
        });
        await queueDelivery(r, { businessId, customerId: customer.id, templateId: template.id });
      }
      const providers = localProviders();
      const errors: unknown[] = [];
      const dispatcher = startDispatcher(
        r,
        { providers, publicUrl: "https://j.test", leaseMs: 1_000, pollMs: 50, lanes: 2 },
        (error) => errors.push(error),
      );
      const sent = async () =>
        Number(
          (
            await r.store.db
              .selectFrom("deliveries")
              .select((eb) => eb.fn.countAll<number>().as("n"))
              .where("business_id", "=", businessId)
              .where("template_id", "=", template.id)
              .where("status", "=", "sent")
              .executeTakeFirstOrThrow()
          ).n,
        );
      const deadline = Date.now() + 30_000;
      while ((await sent()) < total && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      // A second copy would come from a claim after the lease: wait one lease more for it.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      await dispatcher.stop();
      await providers.close();
      assert.equal(await sent(), total);
      assert.deepEqual(errors, []);
      return [...messageIds];
    };

    it("sends each delivery once though the waits outlast the lease", async () => {
      // 24 sends × 150 ms through one connection take ~3.6 s; the lease is 1 s.
      delayMs = 150;
      const ids = await deliverAll(24, 1, "queued");
      assert.equal(new Set(ids).size, 24, "every delivery arrived");
      assert.equal(ids.length, 24, "and none twice");
    });

    it("sends each delivery once though one send outlasts the lease", async () => {
      // Each SMTP session takes 1.5 s; the lease is 1 s, renewed while the send goes on.
      delayMs = 1_500;
      const ids = await deliverAll(3, 3, "slow");
      assert.equal(new Set(ids).size, 3, "every delivery arrived");
      assert.equal(ids.length, 3, "and none twice");
    });
  });
}
