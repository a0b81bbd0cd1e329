/**
 * Helper processes for the event → SMTP measurement, so the product under test does not share
 * its thread with the load or the receiving server (both run as their own process):
 *
 *   sink: prints `PORT <n>`, receives emails, and on stdin `END` prints `{"received": {n: ms}}`
 *   load: reads `GO <url> <writeKey> <rate> <seconds>`, sends the events, prints `{"sent": {n: ms}, "achieved"}`
 *
 * Both stamp times with Date.now(): the same clock in every process on one machine.
 */
import { Agent, request } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { SMTPServer } from "smtp-server";

const role = process.argv[2];
const lines = createInterface({ input: process.stdin });
const nextLine = () => new Promise<string>((resolve) => lines.once("line", resolve));

if (role === "sink") {
  const received: Record<number, number> = {};
  const smtp = new SMTPServer({
    authOptional: true,
    // No reverse DNS of the client: where no DNS server answers (as on CI machines), each
    // new connection waits ~100 ms for the lookup to give up before the greeting.
    disableReverseLookup: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      let head = "";
      stream.on("data", (chunk: Buffer) => {
        if (head.length < 4096) head += chunk.toString("utf8");
      });
      stream.on("end", () => {
        const n = Number(/Subject: Order (\d+)/.exec(head)?.[1]);
        if (Number.isFinite(n)) received[n] ??= Date.now();
        callback();
      });
    },
  });
  smtp.on("error", () => {});
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  process.stdout.write(`PORT ${(smtp.server.address() as AddressInfo).port}\n`);
  await nextLine();
  process.stdout.write(`${JSON.stringify({ received })}\n`, () => smtp.close(() => process.exit(0)));
} else {
  const [, url, writeKey, rateText, secondsText] = (await nextLine()).split(" ");
  const rate = Number(rateText);
  const seconds = Number(secondsText);
  const auth = `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`;
  // node:http with a keep-alive agent, not fetch: undici spent about twice the CPU per call,
  // taken from the two cores the product under test runs on.
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const target = new URL(`${url}/v1/batch`);
  const post = (batch: unknown[]) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ batch });
      const req = request(
        target,
        {
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            authorization: auth,
          },
        },
        (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`/v1/batch answered ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const sent: Record<number, number> = {};
  const perTick = Math.max(1, Math.round(rate / 100));
  let n = 0;
  const started = Date.now();
  const inFlight: Promise<void>[] = [];
  for (let tick = 0; tick < seconds * 100; tick++) {
    const batch = Array.from({ length: perTick }, () => {
      n++;
      sent[n] = Date.now();
      return { type: "track", userId: `c${n - 1}`, event: "Order Completed", properties: { n } };
    });
    inFlight.push(post(batch));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (tick + 1) * 10 - Date.now())));
  }
  await Promise.all(inFlight);
  // Exit only once the (large) line has left: a pipe write is asynchronous.
  process.stdout.write(`${JSON.stringify({ sent, achieved: n / ((Date.now() - started) / 1000) })}\n`, () =>
    process.exit(0),
  );
}
