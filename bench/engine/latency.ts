import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { sql } from "kysely";
import pino from "pino";
import { createBusinessWithOwner } from "../../packages/server/src/accounts/bootstrap";
import { ProviderCache } from "../../packages/server/src/channels/providers";
import { SecretBox } from "../../packages/server/src/channels/secret-box";
import { SenderThread } from "../../packages/server/src/channels/sender-thread";
import { systemClock } from "../../packages/server/src/clock";
import { buildApp } from "../../packages/server/src/http/app";
import { newId } from "../../packages/server/src/ids";
import { activateJourney } from "../../packages/server/src/journeys/lifecycle";
import { createJourney } from "../../packages/server/src/journeys/service";
import type { Resources } from "../../packages/server/src/resources";
import { SegmentCatalogs } from "../../packages/server/src/segments/catalog";
import { readJson, writeJson } from "../../packages/server/src/store/json";
import { openSqliteStore } from "../../packages/server/src/store/sqlite/sqlite-store";
import type { Store } from "../../packages/server/src/store/store";
import { RenderThreads } from "../../packages/server/src/templates/render-threads";
import { LOCAL_OUTBOUND } from "../../packages/server/src/testing/outbound";
import { startWorker } from "../../packages/server/src/worker/worker";
import { percentile } from "./drain";

/**
 * End to end on the embedded store (or the one `openStore` opens) with the system clock: events sent at `rate`/s over
 * loopback HTTP (batches every 10 ms, as SDKs send), each entering an event-triggered journey
 * whose first node is an email, received by a local SMTP server. Latency = SMTP receipt − send.
 * The first `warmupSeconds` of the load are reported apart (`cold`): they include opening
 * the SMTP connections and compiling the hot paths, which a running server has done long ago.
 */
export async function eventToSmtp(
  rate: number,
  seconds: number,
  warmupSeconds: number,
  log: (line: string) => void,
  openStore: (dir: string) => Promise<Store> = (dir) => openSqliteStore({ file: join(dir, "latency.db") }),
) {
  const dir = mkdtempSync(join(tmpdir(), "journeys-bench-latency-"));
  const helper = (role: "sink" | "load") => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "load-and-sink.ts"), role],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    const lines = createInterface({ input: child.stdout! });
    return { child, nextLine: () => new Promise<string>((resolve) => lines.once("line", resolve)) };
  };
  const sink = helper("sink");
  const load = helper("load");
  const smtpPort = Number((await sink.nextLine()).split(" ")[1]);

  const store = await openStore(dir);
  const r: Resources = {
    store,
    clock: systemClock,
    newId,
    catalogs: new SegmentCatalogs(),
    outbound: LOCAL_OUTBOUND,
    renderer: new RenderThreads(),
    secrets: SecretBox.ephemeral(),
  };
  const business = await createBusinessWithOwner(r, {
    name: "Latency",
    plan: "enterprise",
    ownerEmail: "latency@example.com",
  });
  const b = business.businessId;
  const now = Date.now();
  await store.db
    .insertInto("templates")
    .values({
      business_id: b,
      id: "tpl_order",
      name: "Order",
      channel: "email",
      content: writeJson({ subject: "Order {{ event.n }}", body: "<p>Thanks</p>" }),
      transactional: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await store.db
    .insertInto("channels")
    .values({
      business_id: b,
      channel: "email",
      provider: "smtp",
      config: writeJson({
        host: "127.0.0.1",
        port: smtpPort,
        secure: false,
        from: "shop@example.com",
        // The most a set-up allows. nodemailer waits for each SMTP reply (MAIL, RCPT, DATA, the
        // message), so a connection carries one message per four round trips: on two cores
        // shared with the load, the SMTP server and the store, 60 connections carried about
        // 1,000 emails/s and a cold start's backlog sometimes never drained (p99 per second
        // stayed ~2.5 s); with 100 it drains in the first seconds. A business sending 1,000
        // emails/s through one relay sets this too.
        maxConnections: 100,
      }),
      updated_at: now,
    })
    .execute();
  const journey = await createJourney(r, b, {
    name: "Order confirmation",
    trigger: { type: "event", event: "Order Completed" },
    start: "confirm",
    nodes: { confirm: { type: "message", channel: "email", templateId: "tpl_order", next: null } },
  });
  await activateJourney(r, b, journey.id);

  const app = await buildApp({
    resources: r,
    config: {
      adminToken: undefined,
      bodyLimit: 1_048_576,
      env: "test",
      publicUrl: "http://127.0.0.1:3000",
      trustProxy: false,
    },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  // As `journeys start` runs it: providers on the sender thread.
  const senders = new SenderThread({ allowPrivateNetwork: true });
  senders.warm();
  r.renderer.warm();
  const providers = new ProviderCache(senders.build);
  const worker = await startWorker(r, pino({ level: "silent" }), { publicUrl: url, providers });
  // Customers exist first, one per event: a customer is in a journey once per run.
  const auth = `Basic ${Buffer.from(`${business.writeKey}:`).toString("base64")}`;
  const total = warmupSeconds + seconds;
  for (let i = 0; i < rate * total; i += 250) {
    const batch = Array.from({ length: 250 }, (_, k) => ({
      type: "identify",
      userId: `c${i + k}`,
      traits: { email: `c${i + k}@example.com` },
    }));
    await fetch(`${url}/v1/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: auth },
      body: JSON.stringify({ batch }),
    });
  }
  // The customers existed long before on a running server, and so did their statistics.
  if (store.dialect === "postgres") await sql`analyze`.execute(store.db);
  log(
    `event → SMTP: ${rate}/s for ${warmupSeconds} s of warm-up, then ${seconds} s measured (load and SMTP server each in a process of their own)`,
  );
  load.child.stdin!.write(`GO ${url} ${business.writeKey} ${rate} ${total}\n`);
  // A running PostgreSQL has statistics: autovacuum analyzes tables as they fill. This database
  // was made for the run (and this machine's server runs with autovacuum off), so it is
  // analyzed again halfway through the warm-up, once the journey's tables hold what the
  // measured seconds will find, as autovacuum would have done long ago: without statistics the planner guesses, and
  // scans a business's customers for every ingestion batch. Not at the end of the warm-up:
  // the ANALYZE itself took 0.8 s of a core, which a running server spends in the background,
  // not in the first measured second.
  const analyzed =
    store.dialect === "postgres"
      ? new Promise((resolve) => setTimeout(resolve, (warmupSeconds * 1_000) / 2)).then(() =>
          sql`analyze`.execute(store.db),
        )
      : Promise.resolve();
  const { sent, achieved } = JSON.parse(await load.nextLine()) as {
    sent: Record<string, number>;
    achieved: number;
  };
  await analyzed;
  const expected = Object.keys(sent).length;
  const deadline = Date.now() + 30_000;
  while (
    (
      await store.db
        .selectFrom("deliveries")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("status", "=", "sent")
        .executeTakeFirstOrThrow()
    ).n < expected &&
    Date.now() < deadline
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  sink.child.stdin!.write("END\n");
  const { received } = JSON.parse(await sink.nextLine()) as { received: Record<string, number> };
  // Events are numbered in the order sent: the first rate × warmupSeconds are the warm-up.
  const warm = rate * warmupSeconds;
  const latencies: number[] = [];
  const cold: number[] = [];
  for (const [n, at] of Object.entries(received)) {
    if (sent[n] === undefined) continue;
    (Number(n) <= warm ? cold : latencies).push(at - sent[n]!);
  }
  const result = { sent: expected - warm, latencies, achieved };
  await worker.stop();
  await providers.close();
  await senders.close();
  await r.renderer.close();
  await app.close();
  // Where the time went: event stored → delivery queued by the engine → sent by the dispatcher.
  const events = await store.db
    .selectFrom("events")
    .select(["properties", "received_at"])
    .where("type", "=", "track")
    .execute();
  const receivedAt = new Map(
    events.map((e) => [Number((readJson(e.properties) as { n: number }).n), Number(e.received_at)]),
  );
  const stages = { engine: [] as number[], dispatch: [] as number[] };
  for (const d of await store.db
    .selectFrom("deliveries")
    .select(["context", "created_at", "sent_at"])
    .execute()) {
    const n = Number((readJson(d.context) as { event: { n: number } }).event.n);
    const at = receivedAt.get(n);
    if (at === undefined || d.sent_at === null || n <= warm) continue;
    stages.engine.push(Number(d.created_at) - at);
    stages.dispatch.push(Number(d.sent_at) - Number(d.created_at));
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    engineP50: percentile(stages.engine, 0.5),
    engineP99: percentile(stages.engine, 0.99),
    dispatchP50: percentile(stages.dispatch, 0.5),
    dispatchP99: percentile(stages.dispatch, 0.99),
    sent: result.sent,
    received: result.latencies.length,
    p50: percentile(result.latencies, 0.5),
    p99: percentile(result.latencies, 0.99),
    coldP99: percentile(cold, 0.99),
    secondsP99: perSecondP99([...cold, ...result.latencies], rate),
    offered: rate,
    achieved: result.achieved,
  };
}

/**
 * The p99 of each second of events, in the order sent: shows whether a run's p99 is a backlog
 * left by the cold start draining (falling from second to second) or a steady state.
 */
function perSecondP99(latencies: number[], rate: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < latencies.length; i += rate) out.push(percentile(latencies.slice(i, i + rate), 0.99));
  return out;
}

/**
 * Delay lateness: `count` enrollments all waking in the same second, drained by the engine on
 * the system clock. Lateness = when the wake was processed − when it was due.
 */
export async function delayLateness(count: number, log: (line: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "journeys-bench-lateness-"));
  const store = await openSqliteStore({ file: join(dir, "lateness.db") });
  try {
    const { seed, T0 } = await import("./setup");
    const { DefinitionCache } = await import("../../packages/server/src/engine/definitions");
    const { runDue } = await import("../../packages/server/src/engine/run-due");
    const seeded = await seed(store, count);
    // Enter everyone (they wait at the delay), with the manual clock, before measuring.
    const definitions = new DefinitionCache();
    for (;;) if ((await runDue(seeded.r, definitions, { limit: 1_000, now: T0 })).processed === 0) break;
    const due = Date.now() + 2_000;
    await store.db.updateTable("engine_work").set({ run_at: due }).where("kind", "=", "wake").execute();
    await store.db.updateTable("enrollments").set({ wait_until: due }).execute();
    log(`delay lateness: ${count.toLocaleString("en-US")} wakes due in the same second`);
    const r: Resources = { ...seeded.r, clock: systemClock };
    while (Date.now() < due) await new Promise((resolve) => setTimeout(resolve, 5));
    let nodes = 0;
    for (;;) {
      const result = await runDue(r, definitions, { limit: 1_000 });
      if (result.processed === 0) break;
      nodes += result.nodes;
    }
    const rows = await store.db.selectFrom("enrollments").select("updated_at").execute();
    const lateness = rows.map((row) => Number(row.updated_at) - due);
    // A loop, not Math.max(...lateness): a million arguments overflow the stack.
    const latest = lateness.reduce((max, ms) => Math.max(max, ms), 0);
    const seconds = Math.max(0.001, latest / 1000);
    return {
      count,
      p50: percentile(lateness, 0.5),
      p99: percentile(lateness, 0.99),
      drainPerSecond: count / seconds,
      // Each wake runs the rest of the journey (split, then one or two messages).
      stepsPerSecond: nodes / seconds,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Delay lateness in the steady state: `count` wakes spread evenly over `spreadMs`, handled by
 * the engine's own loop (which polls when nothing signals it). Lateness = processed − due.
 */
export async function steadyLateness(count: number, spreadMs: number, log: (line: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "journeys-bench-steady-"));
  const store = await openSqliteStore({ file: join(dir, "steady.db") });
  try {
    const { seed, T0 } = await import("./setup");
    const { DefinitionCache } = await import("../../packages/server/src/engine/definitions");
    const { runDue } = await import("../../packages/server/src/engine/run-due");
    const { startEngine } = await import("../../packages/server/src/engine/loop");
    const seeded = await seed(store, count);
    const definitions = new DefinitionCache();
    for (;;) if ((await runDue(seeded.r, definitions, { limit: 1_000, now: T0 })).processed === 0) break;
    const wakes = await store.db
      .selectFrom("engine_work")
      .select(["id", "enrollment_id"])
      .where("kind", "=", "wake")
      .orderBy("id")
      .execute();
    const dueOf = new Map<string, number>();
    await store.db.transaction().execute(async (trx) => {
      for (const [i, w] of wakes.entries()) {
        // Offsets now; the start is fixed after this slow set-up, so no wake is late before the loop runs.
        const due = Math.floor((i * spreadMs) / wakes.length);
        dueOf.set(w.enrollment_id!, due);
        await trx.updateTable("engine_work").set({ run_at: due }).where("id", "=", w.id).execute();
        await trx
          .updateTable("enrollments")
          .set({ wait_until: due })
          .where("id", "=", w.enrollment_id!)
          .execute();
      }
    });
    const start = Date.now() + 2_000;
    await store.db
      .updateTable("engine_work")
      .set((eb) => ({ run_at: eb("run_at", "+", start) }))
      .where("kind", "=", "wake")
      .execute();
    await store.db
      .updateTable("enrollments")
      .set((eb) => ({ wait_until: eb("wait_until", "+", start) }))
      .where("state", "=", "waiting")
      .execute();
    for (const [id, offset] of dueOf) dueOf.set(id, offset + start);
    log(
      `delay lateness: ${count.toLocaleString("en-US")} wakes spread over ${spreadMs / 1000} s, engine loop`,
    );
    const r: Resources = { ...seeded.r, clock: systemClock };
    const engine = await startEngine(r, pino({ level: "silent" }));
    while (Date.now() < start + spreadMs + 3_000) await new Promise((resolve) => setTimeout(resolve, 100));
    await engine.stop();
    const rows = await store.db.selectFrom("enrollments").select(["id", "updated_at", "state"]).execute();
    // Exited rows were last touched by their wake (the rest of the journey runs in that step).
    const lateness = rows
      .filter((row) => row.state === "exited")
      .map((row) => Number(row.updated_at) - dueOf.get(row.id)!);
    return { count, done: lateness.length, p50: percentile(lateness, 0.5), p99: percentile(lateness, 0.99) };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
