import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenLocally } from "./test-http-server";

/**
 * A stand-in for Twilio's Messages API on 127.0.0.1, following its documented shapes
 * (https://www.twilio.com/docs/messaging/api/message-resource): `POST
 * /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, HTTP Basic auth with the
 * account SID and auth token; `201` with the message resource, errors as `{ code, message,
 * more_info, status }`. It checks what Twilio checks: the credentials (401, 20003), the account
 * in the path (404, 20404), `To` (400, 21211), a sender (400, 21603), a body (400, 21602), a
 * recipient who replied STOP (400, 21610), and the 1,600-character limit (400, 21617).
 *
 * @example
 *   const twilio = await startTestTwilioServer();
 *   const config = { accountSid: twilio.accountSid, authToken: twilio.authToken, from: "+15005550006", apiBaseUrl: twilio.url };
 *   twilio.failNext({ status: 503, retryAfter: "2" });
 */
export interface TwilioSent {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
}

export type TwilioFault =
  | { status: number; code?: number; message?: string; retryAfter?: string }
  | "hang"
  | "reset";

export interface TestTwilioServer {
  url: string;
  accountSid: string;
  authToken: string;
  messages: TwilioSent[];
  /** Numbers that replied STOP: a send to them answers 21610. */
  unsubscribed: Set<string>;
  /** The next send answers with this fault instead. */
  failNext(fault: TwilioFault): void;
  /** Requests received, faults included. */
  requests(): number;
  close(): Promise<void>;
}

const E164 = /^\+[1-9]\d{6,14}$/;

export async function startTestTwilioServer(): Promise<TestTwilioServer> {
  const accountSid = `AC${randomBytes(16).toString("hex")}`;
  const authToken = randomBytes(16).toString("hex");
  const messages: TwilioSent[] = [];
  const unsubscribed = new Set<string>();
  const faults: TwilioFault[] = [];
  let requests = 0;

  const error = (res: ServerResponse, status: number, code: number, message: string) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }),
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const fault = faults.shift();
    if (fault === "hang") return; // never answers: the client's time-out ends it
    if (fault === "reset") return req.socket.destroy();
    if (fault) {
      res.setHeader("content-type", "application/json");
      if (fault.retryAfter) res.setHeader("retry-after", fault.retryAfter);
      return error(res, fault.status, fault.code ?? 20500, fault.message ?? "Internal Server Error");
    }
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? "");
    if (!match || req.method !== "POST")
      return error(res, 404, 20404, "The requested resource was not found");
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;
    if (req.headers.authorization !== expected) return error(res, 401, 20003, "Authenticate");
    if (match[1] !== accountSid)
      return error(res, 404, 20404, `The requested resource ${req.url} was not found`);
    if (!String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded"))
      return error(res, 400, 20001, "Unsupported content type");
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    const to = form.get("To") ?? "";
    const from = form.get("From");
    const service = form.get("MessagingServiceSid");
    const body = form.get("Body") ?? "";
    if (!E164.test(to)) return error(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from && !service) return error(res, 400, 21603, "A 'From' phone number is required.");
    if (body === "") return error(res, 400, 21602, "Message body is required.");
    if ([...body].length > 1600)
      return error(res, 400, 21617, "The concatenated message body exceeds the 1600 character limit.");
    if (unsubscribed.has(to)) return error(res, 400, 21610, "Attempt to send to unsubscribed recipient");
    const sid = `SM${randomBytes(16).toString("hex")}`;
    messages.push({
      sid,
      to,
      from,
      messagingServiceSid: service,
      body,
      statusCallback: form.get("StatusCallback"),
    });
    res.writeHead(201, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        sid,
        account_sid: accountSid,
        to,
        from,
        messaging_service_sid: service,
        body,
        status: service ? "accepted" : "queued",
        num_segments: "1",
        direction: "outbound-api",
        date_created: new Date().toUTCString(),
        error_code: null,
        error_message: null,
        uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
      }),
    );
  };

  const listening = await listenLocally(handle);
  return {
    url: listening.url,
    accountSid,
    authToken,
    messages,
    unsubscribed,
    failNext: (fault) => {
      faults.push(fault);
    },
    requests: () => requests,
    close: listening.close,
  };
}
