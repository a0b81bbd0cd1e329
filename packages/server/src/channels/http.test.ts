import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Outbound, OutboundRefused } from "../outbound/outbound";
import { LOCAL_OUTBOUND } from "../testing/outbound";
import { failureOf, HttpClient, HttpTimeout, networkFailure, retryAfterMs } from "./http";

describe("the providers' HTTP client", () => {
  let server: Server;
  let base = "";
  const seen: Array<{ method: string; url: string; type: string; body: string }> = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        seen.push({ method: req.method!, url: req.url!, type: String(req.headers["content-type"]), body });
        if (req.url === "/hang") return; // never answers
        if (req.url === "/busy") {
          res.writeHead(429, { "retry-after": "7" }).end('{"error":"slow down"}');
          return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end('{"sid":"SM1"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("sends JSON and forms, and reads the answer", async () => {
    const client = new HttpClient(LOCAL_OUTBOUND);
    const json = await client.request({ method: "POST", url: `${base}/a?x=1`, json: { a: 1 } });
    assert.deepEqual([json.status, json.json], [200, { sid: "SM1" }]);
    await client.request({
      method: "POST",
      url: `${base}/b`,
      form: { To: "+1555", Body: "hé llo", No: undefined },
    });
    assert.deepEqual(seen.slice(-2), [
      { method: "POST", url: "/a?x=1", type: "application/json", body: '{"a":1}' },
      {
        method: "POST",
        url: "/b",
        type: "application/x-www-form-urlencoded",
        body: "To=%2B1555&Body=h%C3%A9+llo",
      },
    ]);
    client.close();
  });

  it("refuses a private address before connecting, IP literals included", async () => {
    const guarded = new HttpClient(new Outbound({ allowPrivateNetwork: false }));
    const before = seen.length;
    for (const url of [`${base}/x`, "http://[::1]:9/x", "http://169.254.169.254/latest"]) {
      const error = await guarded.request({ method: "GET", url }).catch((e) => e);
      assert.ok(error instanceof OutboundRefused, url);
      assert.equal(networkFailure(error).kind, "permanent");
    }
    assert.equal(seen.length, before, "nothing reached the server");
    // A name resolving to a private address is refused too (DNS rebinding).
    const rebinding = new HttpClient(
      new Outbound({ allowPrivateNetwork: false, resolveHost: async () => ["127.0.0.1"] }),
    );
    const error = await rebinding.request({ method: "GET", url: "http://api.example.com/x" }).catch((e) => e);
    assert.ok(error instanceof OutboundRefused);
  });

  it("times out a hang as an unknown outcome, and classifies answers by the shared rule", async () => {
    const client = new HttpClient(LOCAL_OUTBOUND);
    const hang = await client.request({ method: "GET", url: `${base}/hang`, timeoutMs: 100 }).catch((e) => e);
    assert.ok(hang instanceof HttpTimeout);
    assert.match(networkFailure(hang).message, /outcome unknown/);
    assert.equal(networkFailure(hang).kind, "retryable");

    const busy = await client.request({ method: "GET", url: `${base}/busy` });
    assert.deepEqual(failureOf(busy, "slow down"), {
      ok: false,
      kind: "retry_after",
      retryAfterMs: 7000,
      message: "429 slow down",
    });
    const answer = (status: number, headers = {}) => ({ status, headers, body: "", json: null });
    assert.equal(failureOf(answer(503), "down").kind, "retryable");
    assert.equal(failureOf(answer(400), "bad number").kind, "permanent");
    assert.equal(failureOf(answer(401), "auth").kind, "permanent");
    assert.equal(
      retryAfterMs({ "retry-after": "Wed, 21 Oct 2015 07:28:30 GMT" }, Date.UTC(2015, 9, 21, 7, 28, 0)),
      30_000,
    );
    assert.equal(retryAfterMs({}, 0), null);
    client.close();
  });
});
