import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Config } from "../config";
import type { Dispatch } from "../engine/loop";
import { ingestRoutes } from "../ingest/routes";
import type { Resources } from "../resources";
import { installCsrfCheck } from "./csrf";
import { installErrorHandling } from "./errors";
import { installJsonShapeChecks } from "./json-shape";
import { installMetrics } from "./metrics";
import { adminRoutes } from "./routes/admin";
import { adminTimeRoutes } from "./routes/admin-time";
import { apiKeyRoutes } from "./routes/api-keys";
import { authRoutes } from "./routes/auth";
import { businessRoutes } from "./routes/businesses";
import { channelRoutes } from "./routes/channels";
import { customerRoutes } from "./routes/customers";
import { deliveryRoutes } from "./routes/deliveries";
import { healthRoutes } from "./routes/health";
import { importRoutes } from "./routes/imports";
import { journeyRoutes } from "./routes/journeys";
import { pushSubscriptionRoutes } from "./routes/push-subscriptions";
import { segmentRoutes } from "./routes/segments";
import { templateRoutes } from "./routes/templates";
import { trackingRoutes } from "./routes/tracking";
import { uiRoutes } from "./routes/ui";
import { unsubscribeRoutes } from "./routes/unsubscribe";
import { webhookRoutes } from "./routes/webhooks";
import { installSecurityHeaders } from "./security-headers";
import { installValidation } from "./validation";

export interface AppOptions {
  resources: Resources;
  config: Pick<Config, "adminToken" | "bodyLimit" | "env" | "publicUrl" | "trustProxy">;
  /** Sends due deliveries during `POST /api/v1/admin/settle` (absent: settle leaves them queued). */
  dispatch?: Dispatch;
  /** The process logger (pino); absent silences the app (tests). */
  logger?: FastifyBaseLogger;
}

export type App = FastifyInstance;

/**
 * The HTTP surface: health and metrics, the OpenAPI document, the management API under
 * /api/v1 and the UI. Tests call it in-process with `app.inject`; no port needed.
 */
export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.config.bodyLimit,
    return503OnClosing: true,
    // Behind a proxy the operator trusts, X-Forwarded-Proto/-For say how the client connected.
    trustProxy: options.config.trustProxy,
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandling(app);
  installValidation(app);
  installJsonShapeChecks(app);
  // The management API speaks JSON only: a text/plain body gets 415, not a confusing
  // "body must be object". Ingestion takes text/plain for browser SDKs (ingest/routes.ts).
  app.removeContentTypeParser("text/plain");
  await app.register(cookie);
  installCsrfCheck(app, { publicUrl: options.config.publicUrl });
  installSecurityHeaders(app);
  await app.register(swagger, {
    // Shared schemas keep their names (`Customer`, `Error`) in the document, not `def-0`.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === "string" ? json.$id : `def-${i}`,
    },
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Journeys API",
        version: "1",
        description:
          "Management API of Journeys. Authenticate with a secret API key (`Authorization: Bearer sk_…`) " +
          "or a session cookie. Errors are `{ error: { code, message, details } }`.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: "http", scheme: "bearer", description: "A secret API key, sk_…" },
          session: { type: "apiKey", in: "cookie", name: "journeys_session" },
          adminToken: { type: "http", scheme: "bearer", description: "JOURNEYS_ADMIN_TOKEN" },
          writeKey: {
            type: "http",
            scheme: "basic",
            description: "A business's write key wk_… as the user (no password), or `writeKey` in the body",
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });
  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  installMetrics(app, options.resources);
  const r = options.resources;
  await app.register(healthRoutes(r));
  await app.register(authRoutes(r, { publicUrl: options.config.publicUrl }), { prefix: "/api/v1/auth" });
  await app.register(adminRoutes(r, options.config.adminToken), { prefix: "/api/v1/admin" });
  await app.register(adminTimeRoutes(r, options.config.adminToken, options.dispatch), {
    prefix: "/api/v1/admin",
  });
  await app.register(businessRoutes(r), { prefix: "/api/v1/businesses" });
  await app.register(apiKeyRoutes(r), { prefix: "/api/v1/businesses" });
  await app.register(journeyRoutes(r), { prefix: "/api/v1/businesses" });
  await app.register(segmentRoutes(r), { prefix: "/api/v1/businesses" });
  await app.register(customerRoutes(r), { prefix: "/api/v1/businesses" });
  await app.register(importRoutes(r), { prefix: "/api/v1/businesses" });
  await app.register(templateRoutes(r), { prefix: "/api/v1/businesses" });
  await app.register(channelRoutes(r, { publicUrl: options.config.publicUrl }), {
    prefix: "/api/v1/businesses",
  });
  await app.register(deliveryRoutes(r), { prefix: "/api/v1/businesses" });
  await app.register(unsubscribeRoutes(r));
  await app.register(trackingRoutes(r));
  await app.register(webhookRoutes(r, { publicUrl: options.config.publicUrl }));
  await app.register(ingestRoutes(r), { prefix: "/v1" });
  await app.register(pushSubscriptionRoutes(r), { prefix: "/v1/push" });
  await app.register(uiRoutes(r));
  return app;
}
