import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { installErrorHandling } from "../http/errors";
import { installMetrics } from "../http/metrics";
import { healthRoutes } from "../http/routes/health";
import type { Resources } from "../resources";

/**
 * The HTTP listener of a process that serves no API (`journeys worker`): `/healthz`, `/readyz`
 * and `/metrics` only — the same three routes, answered the same way, as on the API's port —
 * so a scaled-out worker can be probed and scraped like any other process.
 *
 * @example
 *   const ops = await buildOpsApp(resources, log);
 *   await ops.listen({ host: config.host, port: config.workerPort });
 */
export async function buildOpsApp(r: Resources, logger?: FastifyBaseLogger): Promise<FastifyInstance> {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandling(app);
  installMetrics(app, r);
  await app.register(healthRoutes(r));
  return app;
}
