import type { FastifyInstance } from "fastify";

/**
 * The policy of the server's own HTML pages (the UI, the unsubscribe page): scripts only from
 * this server, no framing by other sites, forms posting only here. Styles may be inline (email
 * previews are HTML with inline styles, shown in a sandboxed frame) and images come from
 * anywhere (an email's images live on the sender's servers).
 */
export const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https: http:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Headers on every answer: no MIME sniffing (a JSON body is never run as a script), no framing
 * (clickjacking). Pages set `PAGE_POLICY` as their Content-Security-Policy themselves.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook("onSend", async (_request, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    if (!reply.hasHeader("x-frame-options")) reply.header("x-frame-options", "DENY");
    return payload;
  });
}
