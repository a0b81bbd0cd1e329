import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { domainMetrics, registerQueueGauges } from "../ops/domain-metrics";
import type { Resources } from "../resources";

/**
 * Prometheus metrics for one process. A registry per app (not prom-client's global one), so
 * tests can build many apps in one process. Given the process's resources, /metrics also
 * serves the product's own metrics (ops/domain-metrics.ts): ingestion, engine and delivery
 * counters, and the queues' depth read from the store.
 */
export function installMetrics(app: FastifyInstance, r?: Resources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "journeys_" });
  const requests = new Counter({
    name: "journeys_http_requests_total",
    help: "HTTP requests by method, route and status",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "journeys_http_request_duration_seconds",
    help: "HTTP request duration by method and route",
    labelNames: ["method", "route"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  if (r) registerQueueGauges(registry, r);
  const served = r ? Registry.merge([registry, domainMetrics(r).registry]) : registry;
  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    reply.type(served.contentType);
    return served.metrics();
  });
  return served;
}
