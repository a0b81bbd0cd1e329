import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Outbound, OutboundRefused } from "./outbound";

/** A resolver answering from a script, recording each name it was asked. */
function scripted(answers: Record<string, string[][]>) {
  const asked: string[] = [];
  return {
    asked,
    resolveHost: async (host: string) => {
      asked.push(host);
      const next = answers[host]?.shift();
      if (!next) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
      return next;
    },
  };
}

/** Every decision here is made before any connection: nothing in this file opens a socket. */
describe("Outbound", () => {
  it("refuses localhost and metadata names without asking DNS", async () => {
    const dns = scripted({});
    const outbound = new Outbound({ allowPrivateNetwork: false, resolveHost: dns.resolveHost });
    for (const host of ["localhost", "LOCALHOST.", "mail.localhost", "metadata.google.internal"]) {
      await assert.rejects(outbound.resolve(host), OutboundRefused, host);
    }
    assert.deepEqual(dns.asked, []);
  });

  it("refuses IP literals in refused ranges, in any spelling", async () => {
    const outbound = new Outbound({ allowPrivateNetwork: false, resolveHost: scripted({}).resolveHost });
    for (const host of ["127.0.0.1", "[::1]", "0.0.0.0", "169.254.169.254", "10.0.0.7", "::ffff:127.0.0.1"]) {
      await assert.rejects(outbound.resolve(host), (error: Error) => {
        assert.ok(error instanceof OutboundRefused);
        assert.match(
          error.message,
          /which this server does not connect to .*JOURNEYS_ALLOW_PRIVATE_NETWORK=true/,
        );
        return true;
      });
    }
    assert.deepEqual(await outbound.resolve("93.184.215.14"), { address: "93.184.215.14", family: 4 });
  });

  it("checks the addresses a name resolves to each time: a name rebound to 127.0.0.1 is refused", async () => {
    const dns = scripted({ "smtp.rebind.test": [["93.184.215.14"], ["127.0.0.1"]] });
    const outbound = new Outbound({ allowPrivateNetwork: false, resolveHost: dns.resolveHost });
    assert.deepEqual(await outbound.resolve("smtp.rebind.test"), { address: "93.184.215.14", family: 4 });
    await assert.rejects(
      outbound.resolve("smtp.rebind.test"),
      /smtp\.rebind\.test resolves to a loopback address/,
    );
    assert.deepEqual(dns.asked, ["smtp.rebind.test", "smtp.rebind.test"]);
  });

  it("refuses a name with one public and one private address", async () => {
    const dns = scripted({ "mixed.test": [["93.184.215.14", "10.0.0.5"]] });
    const outbound = new Outbound({ allowPrivateNetwork: false, resolveHost: dns.resolveHost });
    await assert.rejects(outbound.resolve("mixed.test"), /private network address/);
  });

  it("answers the checked address through the lookup that net and http clients take", async () => {
    const dns = scripted({ "api.example.test": [["2606:4700::1111"]], "evil.test": [["169.254.169.254"]] });
    const outbound = new Outbound({ allowPrivateNetwork: false, resolveHost: dns.resolveHost });
    const looked = (host: string, all: boolean) =>
      new Promise<unknown>((resolve) =>
        outbound.lookup(host, { all }, (error, address, family) => resolve(error ?? { address, family })),
      );
    assert.deepEqual(await looked("api.example.test", false), { address: "2606:4700::1111", family: 6 });
    assert.ok((await looked("evil.test", false)) instanceof OutboundRefused);
  });

  it("lets everything through when the operator allows private networks", async () => {
    const dns = scripted({ "relay.internal": [["10.0.0.5"]] });
    const outbound = new Outbound({ allowPrivateNetwork: true, resolveHost: dns.resolveHost });
    assert.deepEqual(await outbound.resolve("127.0.0.1"), { address: "127.0.0.1", family: 4 });
    assert.deepEqual(await outbound.resolve("relay.internal"), { address: "10.0.0.5", family: 4 });
    await outbound.check("localhost");
  });
});
