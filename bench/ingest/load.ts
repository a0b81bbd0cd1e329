/**
 * The ingestion load, in a process of its own so the server under test does not share its
 * thread with the client (as SDKs in other processes would not). Prints `READY` once its
 * messages are built; on stdin `GO <url> <writeKey>` sends them through /v1/batch with
 * `concurrency` requests in flight and prints `{"seconds": …}`.
 *
 *   node --import tsx bench/ingest/load.ts <total> <customers> <batch> <concurrency>
 */
import { createInterface } from "node:readline";
import { messages } from "./workload";

const [total, customers, batch, concurrency] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
];
const stream = messages(total, customers, "run");
const bodies: string[] = [];
for (let i = 0; i < stream.length; i += batch)
  bodies.push(JSON.stringify({ batch: stream.slice(i, i + batch) }));
const lines = createInterface({ input: process.stdin });
process.stdout.write("READY\n");
const [, url, writeKey] = (await new Promise<string>((resolve) => lines.once("line", resolve))).split(" ");
const auth = `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}`;
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const response = await fetch(`${url}/v1/batch`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: auth },
        body,
      });
      const json = (await response.json()) as { rejected?: unknown[] };
      if (!response.ok || (json.rejected?.length ?? 0) > 0) {
        process.stderr.write(`ingest failed: ${JSON.stringify(json).slice(0, 300)}\n`);
        process.exit(1);
      }
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ seconds })}\n`, () => process.exit(0));
