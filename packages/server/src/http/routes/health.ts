import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Resources } from "../../resources";
import { body } from "../errors";

/** Liveness (the process answers) and readiness (the store answers too). */
export function healthRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get("/healthz", { schema: { tags: ["operations"] } }, async () => ({ status: "ok" }));
    app.get("/readyz", { schema: { tags: ["operations"] } }, async (request, reply) => {
      try {
        await r.store.ping();
        return { status: "ready", store: r.store.dialect };
      } catch (error) {
        request.log.warn({ err: error }, "store unreachable");
        return reply
          .code(503)
          .send(body("store_unreachable", `the ${r.store.dialect} store does not answer`));
      }
    });
  };
}
