/**
 * A separate process for the event → SMTP measurement, so the product under test does not
 * share its thread with the load: it runs the SMTP server that receives the emails and the
 * client that sends the events, and measures both ends on one clock.
 *
 * Protocol: prints `PORT <n>`; reads one line `GO <url> <writeKey> <rate> <seconds>`; prints one
 * JSON line with the latencies.
 */
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { SMTPServer } from "smtp-server";

const sentAt = new Map<number, number>();
const latencies: number[] = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  onData(stream, _session, callback) {
    let head = "";
    stream.on("data", (chunk: Buffer) => {
      if (head.length < 4096) head += chunk.toString("utf8");
    });
    stream.on("end", () => {
      const at = sentAt.get(Number(/Subject: Order (\d+)/.exec(head)?.[1]));
      if (at !== undefined) latencies.push(Date.now() - at);
      callback();
    });
  },
});
await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
process.stdout.write(`PORT ${(smtp.server.address() as AddressInfo).port}\n`);

const line = await new Promise<string>((resolve) =>
  createInterface({ input: process.stdin }).once("line", resolve),
);
const [, url, writeKey, rateText, secondsText] = line.split(" ");
const rate = Number(rateText);
const seconds = Number(secondsText);
const auth = `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`;
const post = (batch: unknown[]) =>
  fetch(`${url}/v1/batch`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: auth },
    body: JSON.stringify({ batch }),
  });

const perTick = Math.max(1, Math.round(rate / 100));
let n = 0;
const started = Date.now();
const inFlight: Promise<Response>[] = [];
for (let tick = 0; tick < seconds * 100; tick++) {
  const batch = Array.from({ length: perTick }, () => {
    n++;
    sentAt.set(n, Date.now());
    return { type: "track", userId: `c${n - 1}`, event: "Order Completed", properties: { n } };
  });
  inFlight.push(post(batch));
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (tick + 1) * 10 - Date.now())));
}
await Promise.all(inFlight);
const achieved = n / ((Date.now() - started) / 1000);
const deadline = Date.now() + 30_000;
while (latencies.length < n && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
process.stdout.write(`${JSON.stringify({ sent: n, latencies, achieved })}\n`);
smtp.close(() => process.exit(0));
