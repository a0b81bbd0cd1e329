import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LightMyRequestResponse } from "fastify";
import type { App } from "../http/app";
import { listenLocally } from "./test-http-server";
import { whatsappSignature } from "./whatsapp-webhook";

/**
 * A stand-in for Meta's WhatsApp Cloud API on 127.0.0.1, following its documented shapes: `POST
 * /{version}/{phoneNumberId}/messages` with `Authorization: Bearer {token}` and a JSON body;
 * `200 { messaging_product, contacts: [{ input, wa_id }], messages: [{ id: "wamid.…" }] }`;
 * errors as Graph errors `{ error: { message, type, code, error_data?, error_subcode?,
 * fbtrace_id } }`. It checks what the Cloud API checks: the token (401, 190), the phone number
 * id (400, 100 subcode 33), the request's shape (400, 100 "Invalid parameter"), the 4,096-
 * character text limit, approved templates and their parameter count when told them (404,
 * 132001; 400, 132000), and — when told which recipients wrote in the last 24 hours — free
 * text to anyone else (400, 131047).
 *
 * @example
 *   const wa = await startTestWhatsappServer();
 *   const config = { phoneNumberId: wa.phoneNumberId, accessToken: wa.accessToken, appSecret, verifyToken, apiBaseUrl: wa.url };
 *   wa.failNext({ status: 503, code: 2, retryAfter: "7" });
 */
export interface WhatsappSent {
  id: string;
  version: string;
  /** The request body as sent. */
  body: Record<string, unknown>;
}

export type WhatsappFault =
  | { status: number; code?: number; message?: string; retryAfter?: string; html?: boolean }
  | "hang"
  | "reset";

export interface TestWhatsappServer {
  url: string;
  phoneNumberId: string;
  accessToken: string;
  messages: WhatsappSent[];
  /**
   * Recipients (digits, no "+") inside their customer-service window; free text to anyone
   * else answers 131047. `null` (the default) checks no window.
   */
  openWindows: Set<string> | null;
  /** Approved templates by name → body parameter count; `null` (the default) accepts any. */
  templates: Map<string, number> | null;
  failNext(fault: WhatsappFault): void;
  /** Requests received, faults included. */
  requests(): number;
  close(): Promise<void>;
}

const DIGITS = /^\d{5,20}$/;

export async function startTestWhatsappServer(): Promise<TestWhatsappServer> {
  const phoneNumberId = String(100_000_000_000_000 + Math.floor(Math.random() * 1e12));
  const accessToken = `EAAG${randomBytes(24).toString("hex")}`;
  const messages: WhatsappSent[] = [];
  const faults: WhatsappFault[] = [];
  let requests = 0;
  const state: Pick<TestWhatsappServer, "openWindows" | "templates"> = { openWindows: null, templates: null };

  const graphError = (
    res: ServerResponse,
    status: number,
    error: { code: number; message: string; type?: string; details?: string; subcode?: number },
  ) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        error: {
          message: error.message,
          type: error.type ?? "OAuthException",
          code: error.code,
          ...(error.details ? { error_data: { messaging_product: "whatsapp", details: error.details } } : {}),
          ...(error.subcode ? { error_subcode: error.subcode } : {}),
          fbtrace_id: randomBytes(9).toString("base64url"),
        },
      }),
    );
  };
  const invalid = (res: ServerResponse, details: string) =>
    graphError(res, 400, { code: 100, message: "(#100) Invalid parameter", details });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const fault = faults.shift();
    if (fault === "hang") return; // never answers: the client's time-out ends it
    if (fault === "reset") return req.socket.destroy();
    if (fault) {
      if (fault.retryAfter) res.setHeader("retry-after", fault.retryAfter);
      if (fault.html) {
        res.writeHead(fault.status, { "content-type": "text/html" });
        return res.end("<html><body><h1>502 Bad Gateway</h1><p>internal-lb-7.example</p></body></html>");
      }
      return graphError(res, fault.status, {
        code: fault.code ?? 131000,
        message: fault.message ?? "Something went wrong",
      });
    }
    const match = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/.exec(req.url ?? "");
    if (!match || req.method !== "POST")
      return graphError(res, 400, {
        code: 100,
        type: "GraphMethodException",
        message: "Unknown path components",
      });
    if (req.headers.authorization !== `Bearer ${accessToken}`)
      return graphError(res, 401, {
        code: 190,
        message: "Invalid OAuth access token - Cannot parse access token",
      });
    if (match[2] !== phoneNumberId)
      return graphError(res, 400, {
        code: 100,
        subcode: 33,
        type: "GraphMethodException",
        message: `Unsupported post request. Object with ID '${match[2]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Error("not an object");
    } catch {
      return invalid(res, "The request body is not a JSON object");
    }
    const problem = shapeProblem(body);
    if (problem) return invalid(res, problem);
    const to = body.to as string;
    if (body.type === "template") {
      const template = body.template as { name: string; components?: Array<{ parameters?: unknown[] }> };
      const count = (template.components ?? []).reduce((n, c) => n + (c.parameters?.length ?? 0), 0);
      const expected = state.templates?.get(template.name);
      if (state.templates && expected === undefined)
        return graphError(res, 404, {
          code: 132001,
          message: "(#132001) Template name does not exist in the translation",
          details: `template name (${template.name}) does not exist`,
        });
      if (expected !== undefined && expected !== count)
        return graphError(res, 400, {
          code: 132000,
          message: "(#132000) Number of parameters does not match the expected number of params",
          details: `body: number of localizable_params (${count}) does not match the expected number of params (${expected})`,
        });
    } else if (state.openWindows && !state.openWindows.has(to)) {
      return graphError(res, 400, {
        code: 131047,
        message: "(#131047) Re-engagement message",
        details:
          "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
      });
    }
    const id = `wamid.${Buffer.from(`${to}_${randomBytes(12).toString("hex")}`).toString("base64url")}`;
    messages.push({ id, version: match[1]!, body });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        messaging_product: "whatsapp",
        contacts: [{ input: to, wa_id: to }],
        messages: [{ id }],
      }),
    );
  };

  const listening = await listenLocally(handle);
  return Object.assign(state, {
    url: listening.url,
    phoneNumberId,
    accessToken,
    messages,
    failNext: (fault: WhatsappFault) => {
      faults.push(fault);
    },
    requests: () => requests,
    close: listening.close,
  });
}

/** What the Cloud API would refuse in a text or template message, or null. */
function shapeProblem(body: Record<string, unknown>): string | null {
  if (body.messaging_product !== "whatsapp") return "messaging_product must be whatsapp";
  if (body.recipient_type !== undefined && body.recipient_type !== "individual")
    return "recipient_type must be individual";
  if (typeof body.to !== "string" || !DIGITS.test(body.to))
    return "to must be a phone number in international format";
  if (body.type === "text") {
    const text = body.text as { body?: unknown; preview_url?: unknown } | undefined;
    if (typeof text?.body !== "string" || text.body.trim() === "") return "text.body is required";
    if ([...text.body].length > 4096) return "text.body must be at most 4096 characters";
    if (text.preview_url !== undefined && typeof text.preview_url !== "boolean")
      return "text.preview_url must be a boolean";
    return null;
  }
  if (body.type === "template") {
    const template = body.template as
      | { name?: unknown; language?: { code?: unknown }; components?: unknown }
      | undefined;
    if (typeof template?.name !== "string" || template.name === "") return "template.name is required";
    if (typeof template.language?.code !== "string") return "template.language.code is required";
    if (template.components === undefined) return null;
    if (!Array.isArray(template.components)) return "template.components must be a list";
    for (const component of template.components as Array<{ type?: unknown; parameters?: unknown }>) {
      if (!["header", "body", "button"].includes(String(component?.type)))
        return "template.components[].type";
      const parameters = component.parameters;
      if (!Array.isArray(parameters) || parameters.length === 0)
        return "template.components[].parameters must be a non-empty list";
      for (const p of parameters as Array<{ type?: unknown; text?: unknown }>)
        if (p?.type !== "text" || typeof p.text !== "string" || p.text === "")
          return "template.components[].parameters[] must be { type: text, text } with a non-empty text";
    }
    return null;
  }
  return "type must be text or template";
}

/**
 * Posts a webhook call to the app as Meta does: the JSON body signed with the app secret in
 * `X-Hub-Signature-256` (or with `signature` as given, to test refusals).
 *
 * @example await postWhatsappWebhook(app, businessId, appSecret, statusChange(phoneNumberId, [{ id, status: "read" }]))
 */
export function postWhatsappWebhook(
  app: App,
  businessId: string,
  appSecret: string,
  payload: unknown,
  options: { signature?: string } = {},
): Promise<LightMyRequestResponse> {
  const raw = JSON.stringify(payload);
  return app.inject({
    method: "POST",
    url: `/webhooks/${businessId}/whatsapp`,
    headers: {
      "content-type": "application/json",
      "x-hub-signature-256": options.signature ?? whatsappSignature(appSecret, raw),
    },
    payload: raw,
  });
}

/** A webhook body with one `messages` change for `phoneNumberId`. */
export function messagesChange(
  phoneNumberId: string,
  value: { statuses?: unknown[]; messages?: unknown[] },
): Record<string, unknown> {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/** An inbound text message as Meta sends it, from `from` (digits, no "+") at `at` (epoch ms). */
export function inboundText(from: string, body: string, at: number): Record<string, unknown> {
  return {
    from,
    id: `wamid.in_${randomBytes(8).toString("hex")}`,
    timestamp: String(Math.floor(at / 1000)),
    type: "text",
    text: { body },
  };
}
