import type { FastifyPluginAsync } from "fastify";
import { readUnsubscribeToken, unsubscribe } from "../../channels/unsubscribe";
import type { Resources } from "../../resources";
import { PAGE_POLICY } from "../security-headers";

/**
 * The unsubscribe link of every email: `GET /u/{token}` shows a confirmation page with one
 * button; `POST /u/{token}` unsubscribes — it is also the RFC 8058 one-click target that mail
 * clients call with `List-Unsubscribe=One-Click` (form-encoded), so it needs no cookie, no
 * session and no further confirmation. An unknown or forged token gets a 404 page.
 */
export function unsubscribeRoutes(r: Resources): FastifyPluginAsync {
  return async (app) => {
    // RFC 8058 clients post application/x-www-form-urlencoded; the body carries nothing we need.
    app.addContentTypeParser(
      ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"],
      { parseAs: "string", bodyLimit: 4096 },
      (_request, _body, done) => done(null, {}),
    );
    const params = { type: "object", properties: { token: { type: "string", maxLength: 512 } } };

    app.get<{ Params: { token: string } }>(
      "/u/:token",
      { schema: { hide: true, params } },
      async (request, reply) => {
        const target = await readUnsubscribeToken(r.store, request.params.token);
        if (!target)
          return page(reply.code(404), "Link not recognised", "This unsubscribe link is not valid.");
        return page(
          reply,
          "Unsubscribe",
          `Stop receiving ${target.channel} messages from us?`,
          `<form method="post"><button type="submit">Unsubscribe</button></form>`,
        );
      },
    );

    app.post<{ Params: { token: string } }>(
      "/u/:token",
      { schema: { hide: true, params } },
      async (request, reply) => {
        const target = await readUnsubscribeToken(r.store, request.params.token);
        if (!target)
          return page(reply.code(404), "Link not recognised", "This unsubscribe link is not valid.");
        await unsubscribe(r, target);
        request.log.info({ businessId: target.businessId, customerId: target.customerId }, "unsubscribed");
        return page(reply, "Unsubscribed", `You will no longer receive ${target.channel} messages from us.`);
      },
    );
  };
}

function page(
  reply: { type(t: string): { send(body: string): unknown }; header(k: string, v: string): unknown },
  title: string,
  text: string,
  extra = "",
) {
  reply.header("cache-control", "no-store");
  reply.header("referrer-policy", "no-referrer");
  reply.header("content-security-policy", PAGE_POLICY);
  return reply
    .type("text/html; charset=utf-8")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<meta name="robots" content="noindex"><title>${title}</title>` +
        `<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}` +
        `button{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}</style></head>` +
        `<body><h1>${title}</h1><p>${text}</p>${extra}</body></html>`,
    );
}
