import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  rawHeader,
  startTestSmtpServer,
  type TestSmtpServer,
} from "../packages/server/src/channels/test-smtp-server";
import { type Business, client, createBusiness, createPgDatabase, DAY, PG_SKIP, testEnv } from "./harness";
import { freePort, startCli, waitForOk } from "./process";

/**
 * The whole product, black-box, by email: `journeys start` on a fresh store with a manual clock,
 * set up over the management API, fed through Segment ingestion, mail received by a real SMTP
 * server. Track "Order Completed" → thank-you email → 2 days later a review request.
 */
const STORES = [
  { name: "sqlite", skip: false as string | false },
  { name: "postgres", skip: PG_SKIP },
];

for (const store of STORES) {
  describe(`[${store.name}] e2e: event-triggered email journey`, { skip: store.skip }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "journeys-e2e-"));
    let smtp: TestSmtpServer;
    let server: ReturnType<typeof startCli> | undefined;
    let dropDatabase = async () => {};
    let http: ReturnType<typeof client>;
    let business: Business;
    let journeyId = "";

    const customerId = async (userId: string): Promise<string> => {
      const { data } = await http.api("GET", `/customers?userId=${userId}`);
      assert.equal(data.length, 1, `one customer ${userId}`);
      return data[0].id;
    };
    const enrollmentOf = async (userId: string) => {
      const { data } = await http.api(
        "GET",
        `/journeys/${journeyId}/enrollments?customerId=${await customerId(userId)}`,
      );
      assert.equal(data.length, 1, `${userId} has one enrollment`);
      return http.api("GET", `/journeys/${journeyId}/enrollments/${data[0].id}`);
    };

    before(async () => {
      smtp = await startTestSmtpServer();
      let databaseUrl = "";
      if (store.name === "postgres") {
        const database = await createPgDatabase();
        databaseUrl = database.url;
        dropDatabase = database.drop;
      }
      const port = await freePort();
      const env = {
        ...testEnv(dataDir, databaseUrl, "warn"),
        PORT: String(port),
      };
      business = await createBusiness(env);
      server = startCli(["start", "--no-demo"], env);
      await waitForOk(`http://127.0.0.1:${port}/readyz`, 20_000);
      http = client(`http://127.0.0.1:${port}`, business);

      await http.api("PUT", "/channels/email", {
        provider: "smtp",
        host: "127.0.0.1",
        port: smtp.port,
        secure: false,
        from: "Shop <news@shop.test>",
      });
      const thanks = await http.api("POST", "/templates", {
        name: "Thanks for your order",
        channel: "email",
        subject: "Thanks, {{ customer.firstName }}!",
        body: "<p>Hi {{ customer.firstName }}, your order of {{ event.total }} EUR is on its way.</p>",
        text: "Hi {{ customer.firstName }}, your order of {{ event.total }} EUR is on its way.",
      });
      const review = await http.api("POST", "/templates", {
        name: "Review request",
        channel: "email",
        subject: "How is your order, {{ customer.firstName }}?",
        body: "<p>Hi {{ customer.firstName }}, tell us how you like it.</p>",
      });
      const journey = await http.api("POST", "/journeys", {
        name: "Post-purchase",
        trigger: {
          type: "event",
          event: "Order Completed",
          where: [{ property: "total", op: "gte", value: 50 }],
        },
        start: "thanks",
        nodes: {
          thanks: { type: "message", channel: "email", templateId: thanks.id, next: "wait" },
          wait: { type: "delay", amount: 2, unit: "days", next: "review" },
          review: { type: "message", channel: "email", templateId: review.id, next: null },
        },
      });
      journeyId = journey.id;
      assert.equal((await http.api("POST", `/journeys/${journeyId}/activate`)).status, "active");
    });

    after(async () => {
      if (server) {
        const exited = new Promise((resolve) => server?.child.on("exit", resolve));
        server.child.kill("SIGTERM");
        await exited;
      }
      await smtp?.close();
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("sends the first email with its content and one-click unsubscribe headers", async () => {
      await http.ingest("identify", {
        userId: "ada",
        traits: { email: "ada@example.com", firstName: "Ada", subscriptions: { email: "subscribed" } },
      });
      await http.ingest("track", { userId: "ada", event: "Order Completed", properties: { total: 120 } });
      await http.settle();

      assert.equal(smtp.messages.length, 1);
      const mail = smtp.messages[0]!;
      assert.deepEqual(smtp.recipients[0], ["ada@example.com"]);
      assert.equal(mail.subject, "Thanks, Ada!");
      assert.match(mail.html || "", /Hi Ada, your order of 120 EUR is on its way\./);
      assert.match(mail.text || "", /Hi Ada, your order of 120 EUR is on its way\./);
      assert.match(mail.messageId ?? "", /^<\S+@shop\.test>$/, "a Message-ID on the sender's domain");
      assert.match(rawHeader(mail, "List-Unsubscribe") ?? "", /^<http:\/\/127\.0\.0\.1:\d+\/u\/\S+>$/);
      assert.equal(rawHeader(mail, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");

      const enrollment = await enrollmentOf("ada");
      const sent = enrollment.trail.filter((e: { type: string }) => e.type === "sent");
      assert.deepEqual(
        sent.map((e: { nodeId: string; messageId: string }) => [e.nodeId, e.messageId]),
        [["thanks", mail.messageId]],
      );
    });

    it("sends nothing for an event that does not match the filter", async () => {
      await http.ingest("identify", {
        userId: "bob",
        traits: { email: "bob@example.com", firstName: "Bob", subscriptions: { email: "subscribed" } },
      });
      await http.ingest("track", { userId: "bob", event: "Order Completed", properties: { total: 20 } });
      await http.ingest("track", { userId: "bob", event: "Order Placed", properties: { total: 500 } });
      await http.settle();
      assert.equal(smtp.messages.length, 1);
      const { data } = await http.api(
        "GET",
        `/journeys/${journeyId}/enrollments?customerId=${await customerId("bob")}`,
      );
      assert.deepEqual(data, []);
    });

    it("skips a customer without consent and says so in the trail", async () => {
      await http.ingest("identify", {
        userId: "carol",
        traits: { email: "carol@example.com", firstName: "Carol", subscriptions: { email: "unsubscribed" } },
      });
      await http.ingest("track", { userId: "carol", event: "Order Completed", properties: { total: 80 } });
      await http.settle();
      assert.equal(smtp.messages.length, 1);
      const enrollment = await enrollmentOf("carol");
      const skipped = enrollment.trail.filter((e: { type: string }) => e.type === "skipped");
      assert.deepEqual(
        skipped.map((e: { nodeId: string; reason: string }) => [e.nodeId, e.reason]),
        [["thanks", "no_consent"]],
      );
      assert.equal(enrollment.state, "waiting", "a skipped message does not stop the journey");
    });

    it("sends the second email two days later, and only to the consenting customer", async () => {
      await http.advance(2 * DAY - 60_000);
      await http.settle();
      assert.equal(smtp.messages.length, 1, "not before the two days are over");

      await http.advance(60_000);
      await http.settle();
      assert.equal(smtp.messages.length, 2);
      const mail = smtp.messages[1]!;
      assert.deepEqual(smtp.recipients[1], ["ada@example.com"]);
      assert.equal(mail.subject, "How is your order, Ada?");
      assert.match(mail.html || "", /Hi Ada, tell us how you like it\./);
      assert.match(mail.text || "", /Hi Ada, tell us how you like it\./, "a text part derived from the body");
      assert.notEqual(mail.messageId, smtp.messages[0]!.messageId);
      assert.equal(rawHeader(mail, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");

      const ada = await enrollmentOf("ada");
      assert.equal(ada.state, "exited");
      assert.deepEqual(
        ada.trail.filter((e: { type: string }) => e.type === "sent").map((e: { nodeId: string }) => e.nodeId),
        ["thanks", "review"],
      );
      const carol = await enrollmentOf("carol");
      assert.equal(carol.state, "exited");
      assert.deepEqual(
        carol.trail
          .filter((e: { type: string }) => e.type === "skipped")
          .map((e: { nodeId: string; reason: string }) => `${e.nodeId}:${e.reason}`),
        ["thanks:no_consent", "review:no_consent"],
      );
    });
  });
}
