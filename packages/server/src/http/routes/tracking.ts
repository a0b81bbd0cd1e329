import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { readClickLink, readOpenToken } from "../../channels/tracking-links";
import { advanceDeliveryById } from "../../dispatcher/tracking";
import type { Resources } from "../../resources";
import { PAGE_POLICY } from "../security-headers";

/** A 1×1 transparent GIF (43 bytes). */
const PIXEL = Buffer.from("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==", "base64");

/**
 * The tracked links of marketing email (`channels/tracking-links.ts`), public and cheap: no
 * session, no body. `GET /t/o/{token}.gif` always answers the pixel — a forged token or a store
 * error records nothing, but an email never shows a broken image. `GET /t/c/{token}?u=` records
 * the click and redirects to the signed URL; a link that does not verify answers a 404 page and
 * never redirects. Both answers are `no-store`, so every open and click reaches the server. A
 * HEAD (link scanners use it) answers the same but records nothing.
 */
export function trackingRoutes(r: Resources): FastifyPluginAsync {
  return async (app) => {
    const params = { type: "object", properties: { token: { type: "string", maxLength: 512 } } };
    const querystring = { type: "object", properties: { u: { type: "string" } } };

    app.get<{ Params: { token: string } }>(
      "/t/o/:token",
      { schema: { hide: true, params } },
      async (request, reply) => {
        try {
          const target = await readOpenToken(r.store, request.params.token);
          if (target && request.method === "GET")
            await advanceDeliveryById(r, target.businessId, target.deliveryId, "opened");
        } catch (error) {
          request.log.warn({ err: error }, "open not recorded");
        }
        return reply.header("cache-control", "no-store, private").type("image/gif").send(PIXEL);
      },
    );

    app.get<{ Params: { token: string }; Querystring: { u?: string } }>(
      "/t/c/:token",
      { schema: { hide: true, params, querystring } },
      async (request, reply) => {
        reply.header("cache-control", "no-store, private");
        const link = await readClickLink(r.store, request.params.token, request.query.u);
        if (!link) return notFound(reply);
        // A click that cannot be recorded still takes the reader where the email said.
        if (request.method === "GET")
          await advanceDeliveryById(r, link.businessId, link.deliveryId, "clicked").catch((error) =>
            request.log.warn({ err: error }, "click not recorded"),
          );
        return reply.redirect(new URL(link.url).href, 302);
      },
    );
  };
}

function notFound(reply: FastifyReply) {
  reply.header("referrer-policy", "no-referrer");
  reply.header("content-security-policy", PAGE_POLICY);
  return reply
    .code(404)
    .type("text/html; charset=utf-8")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">` +
        `<title>Link not recognised</title></head><body style="font-family:system-ui,sans-serif">` +
        `<h1>Link not recognised</h1><p>This link is not valid.</p></body></html>`,
    );
}
