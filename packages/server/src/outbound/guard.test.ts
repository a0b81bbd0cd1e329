import assert from "node:assert/strict";
import { type AddressInfo, createServer, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { buildProvider, ProviderCache } from "../channels/providers";
import { SmtpProvider } from "../channels/smtp";
import { helloEmail, startTestSmtpServer } from "../channels/test-smtp-server";
import { dispatchDue } from "../dispatcher/dispatch";
import { DefinitionCache } from "../engine/definitions";
import { settle } from "../engine/loop";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney } from "../testing/email-journey";
import { LOCAL_OUTBOUND } from "../testing/outbound";
import { bearer, useApp } from "../testing/use-app";
import { Outbound } from "./outbound";

/**
 * The outbound guard where a tenant can aim it: the SMTP set-up. Every server here listens on
 * 127.0.0.1, and the guard decides before a connection is opened, so a refused address is never
 * connected to; the names that "resolve" elsewhere come from a scripted resolver, never DNS.
 */
async function countingServer(
  greeting?: string,
): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    if (greeting) socket.end(greeting);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

const guarded = (answers: Record<string, string[][]> = {}) =>
  new Outbound({
    allowPrivateNetwork: false,
    resolveHost: async (host) => {
      const next = answers[host]?.shift();
      if (!next) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
      return next;
    },
  });

describe("SMTP through the outbound guard", () => {
  it("refuses 127.0.0.1 before connecting, with a reason the tenant can act on", async () => {
    const target = await countingServer("220 hello\r\n");
    const provider = new SmtpProvider(
      { host: "127.0.0.1", port: target.port, secure: false, from: "news@shop.example" },
      guarded(),
    );
    try {
      const result = await provider.send(helloEmail("ada@example.com"), { idempotencyKey: "dlv_guard_1" });
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.kind, "retryable");
      assert.match(
        !result.ok ? result.message : "",
        /^127\.0\.0\.1 is a loopback address .*does not connect to/,
      );
      assert.equal(target.connections(), 0, "nothing connected to the refused address");
    } finally {
      await provider.close();
      target.server.close();
    }
  });

  it("refuses a host name rebound to 127.0.0.1 since it was checked", async () => {
    const target = await countingServer("220 hello\r\n");
    const outbound = guarded({ "smtp.rebind.test": [["93.184.215.14"], ["127.0.0.1"]] });
    await outbound.check("smtp.rebind.test"); // as when the set-up was saved
    const provider = new SmtpProvider(
      { host: "smtp.rebind.test", port: target.port, secure: false, from: "news@shop.example" },
      outbound,
    );
    try {
      const result = await provider.send(helloEmail("ada@example.com"), { idempotencyKey: "dlv_guard_2" });
      assert.match(!result.ok ? result.message : "", /smtp\.rebind\.test resolves to a loopback address/);
      assert.equal(target.connections(), 0);
    } finally {
      await provider.close();
      target.server.close();
    }
  });

  it("shows reply codes, never the remote's own words", async () => {
    const smtp = await startTestSmtpServer();
    const provider = new SmtpProvider(
      { host: "127.0.0.1", port: smtp.port, secure: false, from: "news@shop.example" },
      LOCAL_OUTBOUND,
    );
    const banner = await countingServer("SSH-2.0-OpenSSH_9.6 internal-bastion-7\r\n");
    const notSmtp = new SmtpProvider(
      { host: "127.0.0.1", port: banner.port, secure: false, from: "news@shop.example" },
      LOCAL_OUTBOUND,
    );
    try {
      smtp.failNext(550, "5.1.1 <ada@example.com> unknown here, ask mx-internal-7.corp");
      const refused = await provider.send(helloEmail("ada@example.com"), { idempotencyKey: "dlv_guard_3" });
      assert.deepEqual(refused, {
        ok: false,
        kind: "permanent",
        message: "the mail server refused the message (SMTP 550 5.1.1)",
        gone: ["ada@example.com"],
      });
      const other = await notSmtp.send(helloEmail("ada@example.com"), { idempotencyKey: "dlv_guard_4" });
      assert.equal(other.ok, false);
      assert.doesNotMatch(!other.ok ? other.message : "", /OpenSSH|bastion/);
    } finally {
      await provider.close();
      await notSmtp.close();
      await smtp.close();
      banner.server.close();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] SMTP set-up through the outbound guard`, { skip: dialect.skip }, () => {
    const answers = { "smtp.rebind.test": [["93.184.215.14"], ["127.0.0.1"]] };
    const ctx = useApp(dialect, { outbound: guarded(answers) });
    let target: Awaited<ReturnType<typeof countingServer>>;
    before(async () => {
      if (!dialect.skip) target = await countingServer("220 hello\r\n");
    });
    after(() => target?.server.close());
    const put = (host: string) =>
      ctx.app.inject({
        method: "PUT",
        url: `/api/v1/businesses/${ctx.alpha.businessId}/channels/email`,
        headers: bearer(ctx.alpha.apiKey),
        payload: { provider: "smtp", host, port: target.port, secure: false, from: "news@shop.example" },
      });

    it("refuses to save loopback, private, link-local and metadata hosts", async () => {
      for (const host of [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "0.0.0.0",
        "169.254.169.254",
        "10.0.0.1",
        "::ffff:127.0.0.1",
      ]) {
        const response = await put(host);
        assert.equal(response.statusCode, 400, `${host}: ${response.body}`);
        const { error } = response.json();
        assert.equal(error.code, "invalid_channel_setup");
        assert.equal(error.details.fields[0].field, "host");
        assert.match(error.message, /does not connect to/);
      }
      assert.equal(target.connections(), 0);
    });

    it("records a generic reason when the host resolves to 127.0.0.1 at send time, and connects to nothing", async () => {
      const r = ctx.resources;
      const businessId = ctx.alpha.businessId;
      await activeEmailJourney(r, businessId, { type: "event", event: "Signed Up" }, Date.now());
      const saved = await put("smtp.rebind.test"); // resolves to a public address now
      assert.equal(saved.statusCode, 200, saved.body);
      const created = await ctx.app.inject({
        method: "POST",
        url: `/api/v1/businesses/${businessId}/customers`,
        headers: bearer(ctx.alpha.apiKey),
        payload: { userId: "ada", email: "ada@example.com", subscriptions: { email: "subscribed" } },
      });
      await ctx.app.inject({
        method: "POST",
        url: "/v1/track",
        headers: { authorization: `Basic ${Buffer.from(`${ctx.alpha.writeKey}:`).toString("base64")}` },
        payload: { userId: "ada", event: "Signed Up" },
      });
      await settle(r, new DefinitionCache());
      const providers = new ProviderCache(buildProvider(r.outbound));
      try {
        const outcome = await dispatchDue(r, { providers, publicUrl: "https://journeys.test" });
        assert.equal(outcome.sent, 0, JSON.stringify(outcome));
      } finally {
        await providers.close();
      }
      assert.equal(target.connections(), 0, "the rebound address was never connected to");
      const exported = await ctx.app.inject({
        url: `/api/v1/businesses/${businessId}/customers/${created.json().id}/export`,
        headers: bearer(ctx.alpha.apiKey),
      });
      const [delivery] = exported.json().deliveries;
      assert.match(JSON.stringify(delivery), /smtp\.rebind\.test resolves to a loopback address/);
      assert.doesNotMatch(JSON.stringify(delivery), /hello|ECONNREFUSED|127\.0\.0\.1:/);
    });
  });
}
