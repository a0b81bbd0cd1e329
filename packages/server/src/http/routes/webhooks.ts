import type { FastifyPluginAsync } from "fastify";
import { findChannelSetup } from "../../channels/setup";
import { webhookHandler } from "../../channels/webhooks";
import type { Resources } from "../../resources";

/** Callbacks are small; a provider's largest (a WhatsApp batch of statuses) is far below this. */
const WEBHOOK_BODY_LIMIT = 256 * 1024;

/**
 * Provider webhooks: `/webhooks/{businessId}/{provider}` and `/webhooks/{businessId}/email/{provider}`
 * (DESIGN §5). Public — each handler verifies its provider's signature against the business's
 * set-up. A business that does not exist, or has not set the channel up with that provider,
 * answers 404 as an unknown path would.
 */
export function webhookRoutes(r: Resources, options: { publicUrl: string }): FastifyPluginAsync {
  return async (app) => {
    // Signatures are over the exact bytes: every body stays a string.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "string", bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
    const handler = async (
      request: import("fastify").FastifyRequest<{ Params: { businessId: string; "*": string } }>,
      reply: import("fastify").FastifyReply,
    ) => {
      const hook = webhookHandler(request.params["*"]);
      const notFound = () =>
        reply.code(404).send({ error: { code: "not_found", message: "no such webhook", details: null } });
      if (!hook) return notFound();
      const setup = await findChannelSetup(r, request.params.businessId, hook.channel).catch(() => null);
      if (!setup || setup.provider !== hook.provider) return notFound();
      const path = request.url;
      const answer = await hook.handle(r, {
        businessId: request.params.businessId,
        setup,
        publicUrl: options.publicUrl,
        request: {
          method: request.method as "GET" | "POST",
          url: `${options.publicUrl}${path}`,
          headers: request.headers,
          query: request.query as Record<string, string>,
          rawBody: typeof request.body === "string" ? request.body : "",
        },
      });
      reply.code(answer.status);
      if (answer.body === undefined) return reply.send();
      if (typeof answer.body === "string")
        return reply.type(answer.contentType ?? "text/plain; charset=utf-8").send(answer.body);
      return reply.send(answer.body);
    };
    const params = {
      type: "object",
      properties: { businessId: { type: "string", maxLength: 64 }, "*": { type: "string", maxLength: 64 } },
    };
    app.get("/webhooks/:businessId/*", { schema: { hide: true, params } }, handler);
    app.post("/webhooks/:businessId/*", { schema: { hide: true, params } }, handler);
  };
}
