import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { providerContract } from "./provider.contract";
import { SenderThread } from "./sender-thread";
import { closedPort, helloEmail, rawHeader, startTestSmtpServer } from "./test-smtp-server";

const smtpSetup = (port: number) => ({
  channel: "email" as const,
  provider: "smtp",
  config: { host: "127.0.0.1", port, secure: false, from: "Shop <news@shop.example>" },
  updatedAt: 0,
});

/** A server that greets and then never answers: a send to it stays in flight. */
async function silentServer() {
  const server = createServer((socket) => {
    // The client is a thread that the test stops: its socket may be reset rather than closed.
    socket.on("error", () => {});
    socket.write("220 silent.test ESMTP\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      server.close();
    },
  };
}

providerContract("smtp on the sender thread", async () => {
  const smtp = await startTestSmtpServer();
  const senders = new SenderThread({ allowPrivateNetwork: true });
  return {
    provider: senders.build(smtpSetup(smtp.port)) as never,
    unreachable: senders.build(smtpSetup(await closedPort())) as never,
    message: helloEmail as never,
    addresses: ["ada@example.com", "grace@example.com"],
    accepted: () => smtp.messages.length,
    refuseTemporarily: () => smtp.failNext(451, "4.3.0 Try again later"),
    refusePermanently: () => smtp.failNext(550, "5.1.1 No such user"),
    tearDown: async () => {
      await senders.close();
      await smtp.close();
    },
  };
});

describe("sender thread", () => {
  it("sends with the Message-ID of the idempotency key, as the provider does on the main thread", async () => {
    const smtp = await startTestSmtpServer();
    const senders = new SenderThread({ allowPrivateNetwork: true });
    try {
      const provider = senders.build(smtpSetup(smtp.port))!;
      const result = await provider.send(helloEmail("ada@example.com"), { idempotencyKey: "dlv_thread" });
      assert.deepEqual(result, { ok: true, providerMessageId: "<dlv_thread@shop.example>" });
      const [mail] = await smtp.waitFor(1);
      assert.equal(rawHeader(mail!, "message-id"), "<dlv_thread@shop.example>");
      assert.equal(mail!.subject, "Hello");
    } finally {
      await senders.close();
      await smtp.close();
    }
  });

  it("answers a send in flight when the thread stops as retryable, and the next send starts a new thread", async () => {
    const silent = await silentServer();
    const smtp = await startTestSmtpServer();
    const senders = new SenderThread({ allowPrivateNetwork: true });
    try {
      const stuck = senders.build(smtpSetup(silent.port))!.send(helloEmail("ada@example.com"), {
        idempotencyKey: "dlv_stuck",
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await senders.close();
      const result = await stuck;
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.kind, "retryable");
      assert.match(!result.ok ? result.message : "", /sender thread stopped/);

      const again = await senders.build(smtpSetup(smtp.port))!.send(helloEmail("grace@example.com"), {
        idempotencyKey: "dlv_after",
      });
      assert.equal(again.ok, true);
      assert.equal((await smtp.waitFor(1)).length, 1);
    } finally {
      await senders.close();
      silent.close();
      await smtp.close();
    }
  });

  it("builds nothing for a provider that does not exist", async () => {
    const senders = new SenderThread({ allowPrivateNetwork: true });
    try {
      assert.equal(senders.build({ channel: "sms", provider: "nope", config: {}, updatedAt: 0 }), null);
    } finally {
      await senders.close();
    }
  });
});
