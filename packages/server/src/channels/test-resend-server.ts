import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenLocally } from "./test-http-server";

/**
 * A stand-in for Resend's `POST /emails` on 127.0.0.1, following its documented shapes
 * (https://resend.com/docs/api-reference/emails/send-email, /errors): Bearer auth (401
 * `missing_api_key`, 403 `invalid_api_key`), JSON `{ from, to, subject, html?, text?, headers? }`
 * (422 `validation_error` naming the missing field), `Idempotency-Key` (the same key and
 * payload answer the first id; the same key with another payload 409
 * `invalid_idempotent_request`), and `200 { id }`.
 *
 * @example
 *   const resend = await startTestResendServer();
 *   const config = { apiKey: resend.apiKey, from: "news@shop.example", apiBaseUrl: resend.url };
 */
export interface ResendSent {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  headers?: Record<string, string>;
}

export type ResendFault =
  | { status: number; name?: string; message?: string; retryAfter?: string }
  | "hang"
  | "reset";

export interface TestResendServer {
  url: string;
  apiKey: string;
  emails: ResendSent[];
  failNext(fault: ResendFault): void;
  close(): Promise<void>;
}

export async function startTestResendServer(): Promise<TestResendServer> {
  const apiKey = `re_${randomUUID().replaceAll("-", "")}`;
  const emails: ResendSent[] = [];
  const faults: ResendFault[] = [];
  const seen = new Map<string, { body: string; id: string }>();

  const error = (res: ServerResponse, statusCode: number, name: string, message: string) => {
    res.writeHead(statusCode, { "content-type": "application/json" });
    res.end(JSON.stringify({ statusCode, name, message }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const fault = faults.shift();
    if (fault === "hang") return;
    if (fault === "reset") return req.socket.destroy();
    if (fault) {
      if (fault.retryAfter) res.setHeader("retry-after", fault.retryAfter);
      return error(
        res,
        fault.status,
        fault.name ?? "application_error",
        fault.message ?? "Something went wrong",
      );
    }
    if (req.method !== "POST" || req.url !== "/emails")
      return error(res, 404, "not_found", "The requested endpoint does not exist.");
    const auth = req.headers.authorization;
    if (!auth?.startsWith("Bearer "))
      return error(res, 401, "missing_api_key", "Missing API key in the authorization header.");
    if (auth !== `Bearer ${apiKey}`) return error(res, 403, "invalid_api_key", "API key is invalid");
    let body: Partial<ResendSent>;
    try {
      body = JSON.parse(raw) as Partial<ResendSent>;
    } catch {
      return error(res, 422, "validation_error", "Invalid JSON body.");
    }
    for (const field of ["from", "to", "subject"] as const)
      if (!body[field] || (field === "to" && (!Array.isArray(body.to) || body.to.length === 0)))
        return error(res, 422, "validation_error", `Missing \`${field}\` field.`);
    if (!body.html && !body.text)
      return error(res, 422, "validation_error", "Missing `html` or `text` field.");
    const key = req.headers["idempotency-key"];
    if (typeof key === "string") {
      const earlier = seen.get(key);
      if (earlier && earlier.body !== raw)
        return error(
          res,
          409,
          "invalid_idempotent_request",
          "Same idempotency key used with a different request payload.",
        );
      if (earlier) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify({ id: earlier.id }));
      }
    }
    const id = randomUUID();
    if (typeof key === "string") seen.set(key, { body: raw, id });
    emails.push({ ...(body as ResendSent), id });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id }));
  };

  const listening = await listenLocally(handle);
  return {
    url: listening.url,
    apiKey,
    emails,
    failNext: (fault) => {
      faults.push(fault);
    },
    close: listening.close,
  };
}
