import pino, { type Logger } from "pino";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { countBusinesses } from "../accounts/businesses";
import { ProviderCache } from "../channels/providers";
import { SenderThread } from "../channels/sender-thread";
import { type Clock, ManualClock, systemClock } from "../clock";
import type { Config } from "../config";
import { dispatchStep } from "../engine/dispatch";
import { buildApp } from "../http/app";
import { newId } from "../ids";
import type { Resources } from "../resources";
import { SegmentCatalogs } from "../segments/catalog";
import { openStore } from "../store/open-store";
import { startWorker } from "../worker/worker";

export type Role = "api" | "worker";

export function createLogger(config: Pick<Config, "logLevel">): Logger {
  return pino({ level: config.logLevel, base: { service: "journeys" } });
}

/**
 * Runs the roles asked for in this process until SIGTERM/SIGINT, then shuts down without
 * losing work: stop accepting requests, finish those in flight, let the worker finish its
 * task, close the store. A second signal exits at once.
 */
export async function runRoles(config: Config, roles: Role[], options: { demo: boolean }): Promise<void> {
  const started = performance.now();
  const log = createLogger(config);
  const clock: Clock = config.clock === "manual" ? new ManualClock(Date.now()) : systemClock;
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const resources: Resources = { store, clock, newId, catalogs: new SegmentCatalogs() };
  log.info({ store: store.dialect, location: store.location, roles }, "store ready");

  if (options.demo && (await countBusinesses(resources)) === 0) {
    const demo = await createBusinessWithOwner(resources, {
      name: "Demo business",
      plan: "growth",
      ownerEmail: "owner@demo.journeys.local",
    });
    printDemoBanner(demo, config);
  }

  // One provider cache per process: the admin settle endpoint and the worker send through it,
  // on a thread of its own so sending does not compete with requests and the engine.
  const senders = new SenderThread();
  const providers = new ProviderCache(senders.build);
  const app = roles.includes("api")
    ? await buildApp({ resources, config, logger: log, dispatch: dispatchStep(providers, config.publicUrl) })
    : undefined;
  if (app) await app.listen({ host: config.host, port: config.port });
  const worker = roles.includes("worker")
    ? await startWorker(resources, log.child({ role: "worker" }), { publicUrl: config.publicUrl, providers })
    : undefined;
  log.info(
    {
      startupMs: Math.round(performance.now() - started),
      url: app ? `http://${config.host}:${config.port}` : undefined,
    },
    "journeys started",
  );
  // After start-up, so answering /healthz does not wait for the thread's modules to load.
  if (worker) senders.warm();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, "shutting down");
    await app?.close();
    await worker?.stop();
    await providers.close();
    await senders.close();
    await store.close();
    log.info("stopped cleanly");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

function printDemoBanner(demo: Awaited<ReturnType<typeof createBusinessWithOwner>>, config: Config): void {
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${config.port}`;
  process.stdout.write(
    [
      "",
      "  A demo business was created on the Growth plan (shown once; keep it):",
      `    sign in at   ${url}/login`,
      `    email        ${demo.ownerEmail}`,
      `    password     ${demo.ownerPassword}`,
      `    business id  ${demo.businessId}`,
      `    API key      ${demo.apiKey}`,
      `    write key    ${demo.writeKey}`,
      "",
      "",
    ].join("\n"),
  );
}
