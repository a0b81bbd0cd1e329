import type { FastifyInstance } from "fastify";
import pino, { type Logger } from "pino";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { countBusinesses } from "../accounts/businesses";
import { ProviderCache } from "../channels/providers";
import { loadSecretKey, SecretBox } from "../channels/secret-box";
import { SenderThread } from "../channels/sender-thread";
import { type Clock, ManualClock, systemClock } from "../clock";
import { type Config, isWildcard, urlHost } from "../config";
import { dispatchStep } from "../engine/dispatch";
import { JourneysError } from "../errors";
import { buildApp } from "../http/app";
import { newId } from "../ids";
import { buildOpsApp } from "../ops/ops-server";
import { Outbound } from "../outbound/outbound";
import type { Resources } from "../resources";
import { SegmentCatalogs } from "../segments/catalog";
import { openStore } from "../store/open-store";
import { storeWarnings } from "../store/warnings";
import { RenderThreads } from "../templates/render-threads";
import { startWorker } from "../worker/worker";

export type Role = "api" | "worker";

export function createLogger(config: Pick<Config, "logLevel">): Logger {
  return pino({ level: config.logLevel, base: { service: "journeys" } });
}

/**
 * Runs the roles asked for in this process until SIGTERM/SIGINT, then shuts down without
 * losing work: stop accepting requests, finish those in flight, let the worker finish the
 * batch in hand (the rest of a backlog stays queued for the next worker), close the store.
 * A second signal exits at once. Every process answers /healthz, /readyz and /metrics: the API
 * on PORT, a worker without the API on JOURNEYS_WORKER_PORT.
 */
export async function runRoles(config: Config, roles: Role[], options: { demo: boolean }): Promise<void> {
  const started = performance.now();
  const log = createLogger(config);
  const clock: Clock = config.clock === "manual" ? new ManualClock(Date.now()) : systemClock;
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const resources: Resources = {
    store,
    clock,
    newId,
    catalogs: new SegmentCatalogs(),
    outbound: new Outbound({ allowPrivateNetwork: config.allowPrivateNetwork }),
    renderer: new RenderThreads(),
    secrets: new SecretBox(loadSecretKey(config)),
  };
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
  const senders = new SenderThread({ allowPrivateNetwork: config.allowPrivateNetwork });
  const providers = new ProviderCache(senders.build);
  const app = roles.includes("api")
    ? await buildApp({ resources, config, logger: log, dispatch: dispatchStep(providers, config.publicUrl) })
    : undefined;
  if (app) await listen(app, config.host, config.port, "PORT", store);
  // A worker alone still has to be probed and scraped: it gets a listener of its own, opened
  // before work starts so a taken port stops the process before it claims anything.
  const ops = app ? undefined : await buildOpsApp(resources, log.child({ role: "ops" }));
  if (ops) await listen(ops, config.host, config.workerPort, "JOURNEYS_WORKER_PORT", store);
  const worker = roles.includes("worker")
    ? await startWorker(resources, log.child({ role: "worker" }), { publicUrl: config.publicUrl, providers })
    : undefined;
  log.info(
    {
      startupMs: Math.round(performance.now() - started),
      url: `http://${urlHost(config.host)}:${app ? config.port : config.workerPort}`,
    },
    "journeys started",
  );
  // Once running: a process that could not start has said why, in one line, already.
  for (const warning of config.warnings) log.warn(warning);
  for (const warning of await storeWarnings(store)) log.warn(warning);
  // After start-up, so answering /healthz does not wait for the thread's modules to load.
  if (worker) {
    senders.warm();
    resources.renderer.warm();
  }

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
    // Closed after the worker, so the drain can still be watched on /metrics.
    await ops?.close();
    await providers.close();
    await senders.close();
    await resources.renderer.close();
    await store.close();
    log.info("stopped cleanly");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

function printDemoBanner(demo: Awaited<ReturnType<typeof createBusinessWithOwner>>, config: Config): void {
  const url = `http://${isWildcard(config.host) ? "127.0.0.1" : urlHost(config.host)}:${config.port}`;
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

/**
 * Listens, or fails with one line naming the variable that chose the port (a port already taken
 * is the usual cause), after closing the store so the process exits at once.
 */
async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
  variable: "PORT" | "JOURNEYS_WORKER_PORT",
  store: { close(): Promise<void> },
): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    await store.close().catch(() => {});
    const cause = error instanceof Error ? error.message : String(error);
    throw new JourneysError(
      "unavailable",
      "listen_failed",
      `${variable}=${port}: cannot listen on ${host}: ${cause}`,
    );
  }
}
