import type { FastifyInstance, FastifyRequest } from "fastify";
import { JourneysError } from "../errors";
import { SESSION_COOKIE } from "./auth";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cross-site request forgery: a page elsewhere can make the browser send the session cookie
 * with a bodyless POST (pause a journey, sign out), and SameSite=Lax stops other sites but not
 * another port of the same host. So every write to the API that the session cookie would
 * authenticate — and sign-in itself — must come from this server's own pages: the browser's
 * `Sec-Fetch-Site: same-origin`, or an `Origin` that is this server's (the request's own origin or
 * JOURNEYS_PUBLIC_URL's). Anything else is 403 `cross_site_request`. A call with an
 * `Authorization` header (a secret API key) cannot be forged by a page, and is not checked.
 *
 * @example installCsrfCheck(app, { publicUrl: "https://journeys.example.com" })
 */
export function installCsrfCheck(app: FastifyInstance, options: { publicUrl: string }): void {
  const publicOrigin = originOf(options.publicUrl);
  app.addHook("onRequest", async (request) => {
    if (SAFE.has(request.method) || !request.url.startsWith("/api/")) return;
    if (request.headers.authorization) return;
    const signIn = request.url.split("?")[0] === "/api/v1/auth/login";
    if (!signIn && request.cookies[SESSION_COOKIE] === undefined) return;
    const refusal = crossSite(request, publicOrigin);
    if (refusal) throw new JourneysError("forbidden", "cross_site_request", refusal);
  });
}

/** Why the request does not come from this server's own pages, or null when it does. */
function crossSite(request: FastifyRequest, publicOrigin: string | null): string | null {
  const site = request.headers["sec-fetch-site"];
  const origin = request.headers.origin;
  if (typeof site === "string" && site !== "same-origin")
    return `a signed-in write must come from this server's own pages (Sec-Fetch-Site: ${site}); other programs use an API key`;
  if (site === "same-origin") return null;
  const from = typeof origin === "string" ? originOf(origin) : null;
  if (from === null)
    return "a signed-in write needs an Origin header naming this server; other programs use an API key";
  const own = originOf(`${request.protocol}://${request.headers.host ?? ""}`);
  if (from === own || from === publicOrigin) return null;
  return `a signed-in write must come from this server's own pages, not ${origin}; other programs use an API key`;
}

/** The origin of a URL, spelled one way (`http://localhost:80` → `http://localhost`); null for "null" and junk. */
function originOf(url: string): string | null {
  if (!URL.canParse(url)) return null;
  const origin = new URL(url).origin;
  return origin === "null" ? null : origin;
}
