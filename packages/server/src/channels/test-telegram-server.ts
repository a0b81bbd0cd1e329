import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the Telegram Bot API (node:http on 127.0.0.1, a free port), following
 * its documented shapes: `/bot{token}/{method}` with parameters as JSON, a form or the query
 * string; answers `{ok: true, result}` or `{ok: false, error_code, description, parameters?}`.
 * It knows one bot (a wrong token is 401 Unauthorized) and the chats that started it
 * (`addChat`; any other chat is 400 "chat not found"). Methods: sendMessage, setWebhook, getMe.
 *
 * @example
 *   const telegram = await startTestTelegramServer();
 *   const config = { botToken: telegram.botToken, botUsername: telegram.botUsername, apiBaseUrl: telegram.url };
 *   telegram.addChat("1001");
 *   telegram.failNext({ status: 429, retryAfter: 3 }); // the next send is told to wait 3 s
 *   … telegram.messages[0].text …
 *   await telegram.close();
 */
export interface TestTelegramServer {
  /** The apiBaseUrl, e.g. http://127.0.0.1:54321 */
  url: string;
  botToken: string;
  botUsername: string;
  /** Messages accepted by sendMessage, in order. */
  messages: Array<{ chatId: string; text: string; messageId: number }>;
  /** The last setWebhook call that was accepted, or null. */
  webhook: { url: string; secretToken: string | null; allowedUpdates: string[] | null } | null;
  /** A chat that started the bot (private chat id = the user's id). */
  addChat(chatId: string): void;
  /** The user of `chatId` blocks the bot: every send there is 403 until `addChat` again. */
  block(chatId: string): void;
  /** Answers the next sendMessage with `fault` instead of sending. */
  failNext(fault: TelegramFault): void;
  close(): Promise<void>;
}

/**
 * An error answer (`html` makes it a proxy's HTML page, as Telegram's front end gives for some
 * 5xx), a request that never gets an answer, or a connection reset before one.
 */
export type TelegramFault =
  | { status: number; description?: string; retryAfter?: number; retryAfterHeader?: string; html?: boolean }
  | "hang"
  | "reset";

export const BLOCKED: TelegramFault = { status: 403, description: "Forbidden: bot was blocked by the user" };
export const DEACTIVATED: TelegramFault = { status: 403, description: "Forbidden: user is deactivated" };

const BOT_ID = 7_000_000_001;

export async function startTestTelegramServer(
  options: { botUsername?: string } = {},
): Promise<TestTelegramServer> {
  const botToken = `${BOT_ID}:AAH${"t".repeat(32)}`;
  const botUsername = options.botUsername ?? "journeys_test_bot";
  const chats = new Set<string>();
  const blocked = new Set<string>();
  const faults: TelegramFault[] = [];
  let nextMessageId = 1;

  const server = createServer(async (req, res) => {
    const raw = await bodyOf(req);
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(new URL(req.url ?? "/", "http://x").pathname);
    if (!match) return answer(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    if (match[1] !== botToken)
      return answer(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const params = paramsOf(req, raw);
    if (params === null) return badRequest(res, "Bad Request: can't parse JSON request body");
    switch (match[2]!.toLowerCase()) {
      case "getme":
        return answer(res, 200, {
          ok: true,
          result: { id: BOT_ID, is_bot: true, first_name: "Journeys Test", username: botUsername },
        });
      case "setwebhook":
        return setWebhook(res, params);
      case "sendmessage":
        return sendMessage(req, res, params);
      default:
        return answer(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    }
  });

  function sendMessage(req: IncomingMessage, res: ServerResponse, params: Record<string, unknown>) {
    const chat = params.chat_id;
    const chatId = typeof chat === "number" || typeof chat === "string" ? String(chat) : "";
    if (!chatId) return badRequest(res, "Bad Request: chat_id is empty");
    if (typeof params.text !== "string" || params.text.trim() === "")
      return badRequest(res, "Bad Request: message text is empty");
    if (params.text.length > 4096) return badRequest(res, "Bad Request: message is too long");
    const fault = faults.shift();
    if (fault === "hang") return;
    if (fault === "reset") return req.socket.destroy();
    if (fault) return answerFault(res, fault);
    if (!chats.has(chatId)) return badRequest(res, "Bad Request: chat not found");
    if (blocked.has(chatId))
      return answer(res, 403, {
        ok: false,
        error_code: 403,
        description: "Forbidden: bot was blocked by the user",
      });
    const messageId = nextMessageId++;
    state.messages.push({ chatId, text: params.text, messageId });
    return answer(res, 200, {
      ok: true,
      result: {
        message_id: messageId,
        from: { id: BOT_ID, is_bot: true, first_name: "Journeys Test", username: botUsername },
        chat: { id: Number(chatId), first_name: "Test", type: "private" },
        date: Math.floor(Date.now() / 1000),
        text: params.text,
      },
    });
  }

  function setWebhook(res: ServerResponse, params: Record<string, unknown>) {
    const url = typeof params.url === "string" ? params.url : "";
    if (url === "") {
      state.webhook = null;
      return answer(res, 200, { ok: true, result: true, description: "Webhook was deleted" });
    }
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {}
    if (parsed?.protocol !== "https:")
      return badRequest(res, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
    if (!["", "443", "80", "88", "8443"].includes(parsed.port))
      return badRequest(
        res,
        "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
      );
    const secret = params.secret_token;
    if (secret !== undefined && (typeof secret !== "string" || !/^[A-Za-z0-9_-]{1,256}$/.test(secret)))
      return badRequest(res, "Bad Request: secret token contains unallowed characters");
    let updates = params.allowed_updates;
    if (typeof updates === "string") {
      try {
        updates = JSON.parse(updates);
      } catch {
        return badRequest(res, "Bad Request: can't parse allowed_updates JSON array");
      }
    }
    state.webhook = {
      url,
      secretToken: typeof secret === "string" ? secret : null,
      allowedUpdates: Array.isArray(updates) ? updates.map(String) : null,
    };
    return answer(res, 200, { ok: true, result: true, description: "Webhook was set" });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const state: TestTelegramServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    botToken,
    botUsername,
    messages: [],
    webhook: null,
    addChat(chatId) {
      chats.add(chatId);
      blocked.delete(chatId);
    },
    block: (chatId) => blocked.add(chatId),
    failNext: (fault) => faults.push(fault),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

function answerFault(res: ServerResponse, fault: Exclude<TelegramFault, "hang" | "reset">) {
  const headers: Record<string, string> = fault.retryAfterHeader
    ? { "retry-after": fault.retryAfterHeader }
    : {};
  if (fault.html) {
    res.writeHead(fault.status, { "content-type": "text/html", ...headers });
    return res.end(`<html><body><h1>${fault.status}</h1><p>nginx</p></body></html>`);
  }
  const description =
    fault.description ??
    (fault.status === 429 ? `Too Many Requests: retry after ${fault.retryAfter}` : "Internal Server Error");
  return answer(
    res,
    fault.status,
    {
      ok: false,
      error_code: fault.status,
      description,
      ...(fault.retryAfter !== undefined ? { parameters: { retry_after: fault.retryAfter } } : {}),
    },
    headers,
  );
}

function badRequest(res: ServerResponse, description: string) {
  return answer(res, 400, { ok: false, error_code: 400, description });
}

function answer(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => resolve(body));
  });
}

/** Parameters as the Bot API takes them: JSON, a form, or the query string; null for bad JSON. */
function paramsOf(req: IncomingMessage, raw: string): Record<string, unknown> | null {
  const type = String(req.headers["content-type"] ?? "");
  const params: Record<string, unknown> = Object.fromEntries(
    new URL(req.url ?? "/", "http://x").searchParams,
  );
  if (type.startsWith("application/json")) {
    try {
      const json = JSON.parse(raw || "{}");
      return json && typeof json === "object" ? { ...params, ...json } : null;
    } catch {
      return null;
    }
  }
  if (type.startsWith("application/x-www-form-urlencoded"))
    return { ...params, ...Object.fromEntries(new URLSearchParams(raw)) };
  return params;
}
