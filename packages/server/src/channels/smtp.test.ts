import assert from "node:assert/strict";
import { type AddressInfo, createServer } from "node:net";
import { describe, it } from "node:test";
import { SMTPServer } from "smtp-server";
import { LOCAL_OUTBOUND } from "../testing/outbound";
import { providerContract } from "./provider.contract";
import { classifySmtpError, SmtpProvider, senderAddress, smtpDefinition } from "./smtp";
import { closedPort, helloEmail, rawHeader, startTestSmtpServer } from "./test-smtp-server";

providerContract("smtp", async () => {
  const smtp = await startTestSmtpServer();
  const config = { host: "127.0.0.1", port: smtp.port, secure: false, from: "Shop <news@shop.example>" };
  return {
    provider: new SmtpProvider(config, LOCAL_OUTBOUND),
    unreachable: new SmtpProvider({ ...config, port: await closedPort() }, LOCAL_OUTBOUND),
    message: helloEmail,
    addresses: ["ada@example.com", "grace@example.com"],
    accepted: () => smtp.messages.length,
    refuseTemporarily: () => smtp.failNext(451, "4.3.0 Try again later"),
    refusePermanently: () => smtp.failNext(550, "5.1.1 No such user"),
    tearDown: () => smtp.close(),
  };
});

describe("smtp provider", () => {
  it("puts the Message-ID it answers on the message, from the idempotency key and the sender's domain", async () => {
    const smtp = await startTestSmtpServer();
    const provider = new SmtpProvider(
      { host: "127.0.0.1", port: smtp.port, secure: false, from: "news@shop.example" },
      LOCAL_OUTBOUND,
    );
    try {
      const result = await provider.send(
        {
          channel: "email",
          to: "ada@example.com",
          subject: "Hi",
          html: "<p>Hi</p>",
          text: "Hi",
          headers: { "List-Unsubscribe": "<https://x.test/u/t>" },
        },
        { idempotencyKey: "dlv_abc" },
      );
      assert.deepEqual(result, { ok: true, providerMessageId: "<dlv_abc@shop.example>" });
      const [mail] = await smtp.waitFor(1);
      assert.equal(mail?.messageId, "<dlv_abc@shop.example>");
      assert.equal(rawHeader(mail!, "List-Unsubscribe"), "<https://x.test/u/t>");
    } finally {
      await provider.close();
      await smtp.close();
    }
  });

  it("reports a mailbox that does not exist (5.1.x) as gone, and a policy refusal (5.7.1) not", async () => {
    const smtp = await startTestSmtpServer();
    const provider = new SmtpProvider(
      { host: "127.0.0.1", port: smtp.port, secure: false, from: "news@shop.example" },
      LOCAL_OUTBOUND,
    );
    try {
      smtp.failNext(550, "5.1.1 <nobody@example.com>: Recipient address rejected: User unknown");
      const bounced = await provider.send(helloEmail("nobody@example.com"), { idempotencyKey: "dlv_b1" });
      assert.ok(!bounced.ok && bounced.kind === "permanent", JSON.stringify(bounced));
      assert.deepEqual(bounced.gone, ["nobody@example.com"]);
      smtp.failNext(550, "5.7.1 Message rejected as spam");
      const refused = await provider.send(helloEmail("ada@example.com"), { idempotencyKey: "dlv_b2" });
      assert.ok(!refused.ok && refused.kind === "permanent");
      assert.equal(refused.gone, undefined);
    } finally {
      await provider.close();
      await smtp.close();
    }
  });

  it("answers a retryable error, not silence, when the server cannot be reached", async () => {
    // A port nothing listens on: take a free one and close it again.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const provider = new SmtpProvider(
      { host: "127.0.0.1", port, secure: false, from: "a@example.com" },
      LOCAL_OUTBOUND,
    );
    const result = await provider.send(
      { channel: "email", to: "b@example.com", subject: "s", html: "<p>x</p>", text: "x", headers: {} },
      { idempotencyKey: "dlv_unreachable" },
    );
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.kind, "retryable");
    await provider.close?.();
  });

  it("does not send the password to a server that cannot start TLS, and says why", async () => {
    const logins: string[] = [];
    let accepted = 0;
    const server = new SMTPServer({
      authOptional: true,
      // No reverse DNS of the client: where no DNS server answers (as on CI machines), each
      // new connection waits ~100 ms for the lookup to give up before the greeting.
      disableReverseLookup: true,
      allowInsecureAuth: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onAuth(auth, _session, callback) {
        logins.push(`${auth.username}:${auth.password}`);
        callback(null, { user: auth.username });
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on("end", () => {
          accepted++;
          callback();
        });
      },
    });
    server.on("error", () => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.server.address() as AddressInfo).port;
    const config = { host: "127.0.0.1", port, secure: false, from: "news@shop.example" };
    const withLogin = new SmtpProvider({ ...config, username: "apikey", password: "s3cret" }, LOCAL_OUTBOUND);
    const anonymous = new SmtpProvider(config, LOCAL_OUTBOUND);
    try {
      const refused = await withLogin.send(helloEmail("ada@example.com"), { idempotencyKey: "dlv_tls" });
      assert.equal(refused.ok, false);
      assert.equal(!refused.ok && refused.kind, "retryable");
      assert.match(
        !refused.ok ? refused.message : "",
        /did not set up TLS \(STARTTLS\), so the login was not sent/,
      );
      assert.deepEqual(logins, [], "no credentials reached the server");
      assert.equal(accepted, 0);
      // The same server takes mail that needs no login: it was the password that was held back.
      const sent = await anonymous.send(helloEmail("ada@example.com"), { idempotencyKey: "dlv_plain" });
      assert.equal(sent.ok, true);
      assert.equal(accepted, 1);
    } finally {
      await withLogin.close();
      await anonymous.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("classifies replies: 4xx and connection errors retryable, 5xx permanent, login refusals retryable", () => {
    assert.equal(classifySmtpError({ responseCode: 421, response: "421 busy" }).kind, "retryable");
    assert.equal(classifySmtpError({ responseCode: 552, response: "552 too big" }).kind, "permanent");
    assert.equal(
      classifySmtpError({ code: "ECONNECTION", message: "connect ECONNREFUSED" }).kind,
      "retryable",
    );
    assert.equal(classifySmtpError({ code: "ETIMEDOUT", message: "timeout" }).kind, "retryable");
    assert.equal(
      classifySmtpError({ code: "EAUTH", responseCode: 535, response: "535 bad" }).kind,
      "retryable",
    );
  });

  it("checks a set-up, naming every wrong field, and keeps a password not sent again for the same server", () => {
    const problems = smtpDefinition.parse(
      { provider: "smtp", host: "", port: 70000, from: "nobody", extra: 1 },
      null,
    );
    assert.ok(Array.isArray(problems));
    assert.deepEqual(problems.map((p) => p.field).sort(), ["extra", "from", "host", "port"]);
    const stored = {
      host: "smtp.x.test",
      port: 587,
      secure: false,
      username: "u",
      password: "p",
      from: "a@x.test",
    };
    const kept = smtpDefinition.parse({ provider: "smtp", ...stored, password: undefined }, stored);
    assert.ok(!Array.isArray(kept) && kept.password === "p");
    // …but only for the server it was given for.
    for (const change of [{ host: "evil.example" }, { port: 25 }, { username: "v" }]) {
      const moved = smtpDefinition.parse(
        { provider: "smtp", ...stored, password: undefined, ...change },
        stored,
      );
      assert.deepEqual(moved, [
        { field: "password", message: "must be sent again: the SMTP host, port or username changed" },
      ]);
    }
    const sameHost = smtpDefinition.parse(
      { provider: "smtp", ...stored, host: " SMTP.x.test ", password: undefined },
      stored,
    );
    assert.ok(!Array.isArray(sameHost) && sameHost.password === "p");
    const { password: _secret, ...shown } = stored;
    assert.deepEqual(smtpDefinition.redact(stored), { ...shown, passwordSet: true });
    assert.equal(senderAddress('"Shop, Inc." <news@shop.example>'), "news@shop.example");
  });
});
