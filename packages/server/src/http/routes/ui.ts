import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { membershipsOf } from "../../accounts/users";
import type { Resources } from "../../resources";
import { sessionUser } from "../auth";
import { PAGE_POLICY } from "../security-headers";

const PUBLIC = join(import.meta.dirname, "../../../../web/public");
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};
const PUSH_SNIPPET = "journeys-push.js";

/** The files of packages/web/public served under /ui/ (an allow-list, so nothing else leaks). */
const ASSETS = new Set([
  "app.js",
  "app.css",
  "api.js",
  "customer-form.js",
  "customer-import.js",
  "customers.js",
  "dom.js",
  "email-channel.js",
  "enrollments.js",
  "journeys.js",
  "pager.js",
  "segment-detail.js",
  "segments.js",
  "settings.js",
  "simulate.js",
  "templates.js",
  // The web push snippet and service worker, for businesses' own sites (README "Channels").
  PUSH_SNIPPET,
  "journeys-push-sw.js",
]);

/**
 * The web UI (packages/web): one page that routes on the client. `/` sends a signed-in user to
 * their business's marketing page and everyone else to sign-in.
 */
export function uiRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    const page = () => readFile(join(PUBLIC, "index.html"), "utf8");

    app.get("/", { schema: { hide: true } }, async (request, reply) => {
      const user = await sessionUser(r, request);
      const first = user ? (await membershipsOf(r, user.id))[0] : undefined;
      return reply.redirect(first ? `/business/${first.businessId}/marketing` : "/login");
    });
    for (const path of ["/login", "/business/:businessId/marketing"]) {
      app.get(path, { schema: { hide: true } }, async (_request, reply) =>
        reply
          .type(TYPES[".html"]!)
          .header("content-security-policy", PAGE_POLICY)
          .header("referrer-policy", "same-origin")
          .send(await page()),
      );
    }
    app.get<{ Params: { file: string } }>("/ui/:file", { schema: { hide: true } }, async (request, reply) => {
      const file = request.params.file;
      if (!ASSETS.has(file)) return reply.callNotFound();
      // A business's site imports the snippet as a module from here: cross-origin, so CORS.
      if (file === PUSH_SNIPPET) reply.header("access-control-allow-origin", "*");
      return reply
        .type(TYPES[extname(file)] ?? "application/octet-stream")
        .send(await readFile(join(PUBLIC, file)));
    });
  };
}
