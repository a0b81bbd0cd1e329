import { generateKeyPairSync, randomBytes, verify } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * FCM HTTP v1 and Google's OAuth token endpoint on 127.0.0.1 for tests, from their documented
 * shapes:
 * - `POST /token` (form: `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`)
 *   verifies the RS256 assertion with the service account's public key — `iss` the account,
 *   `aud` this token URL, the messaging scope, at most an hour long — and answers
 *   `{ access_token, expires_in, token_type: "Bearer" }`, else 400 `{ error: "invalid_grant", error_description }`;
 * - `POST /v1/projects/{projectId}/messages:send` needs a live `Authorization: Bearer` token
 *   (401 UNAUTHENTICATED) for this project (403 PERMISSION_DENIED), a `message` with exactly a
 *   token (400 INVALID_ARGUMENT with a google.rpc.BadRequest), a token registered here (404
 *   UNREGISTERED; 400 INVALID_ARGUMENT for one that is not a token at all), string data values,
 *   and answers `{ name: "projects/{projectId}/messages/{id}" }`.
 * Access tokens last 3,599 s of `now` (the wall clock unless a test gives one). The next send can
 * be answered with a documented error, left hanging or reset.
 *
 * @example
 *   const fcm = await startTestFcmServer();
 *   const token = fcm.register();
 *   … fcmDefinition.parse({ projectId: fcm.projectId, serviceAccount: fcm.serviceAccount,
 *       apiBaseUrl: fcm.apiBaseUrl, tokenUrl: fcm.tokenUrl }, null) …
 */
export interface TestFcmServer {
  projectId: string;
  apiBaseUrl: string;
  tokenUrl: string;
  /** A service account JSON key whose public key this server checks assertions with. */
  serviceAccount: Record<string, string>;
  /** Every message accepted, in order. */
  messages: Array<{ token: string; message: Record<string, unknown> }>;
  /** Access tokens handed out so far. */
  tokensIssued(): number;
  /** A device token FCM knows (as an app's `getToken()` gets it). */
  register(): string;
  /** The token is no longer registered (the app was uninstalled): 404 UNREGISTERED. */
  unregister(token: string): void;
  /** Every access token issued so far stops working (401), as when it is revoked. */
  revokeAccessTokens(): void;
  /** The next send gets `status` with FCM's `errorCode` (and `headers`), or hangs, or is reset. */
  failNext(
    fault: { status: number; errorCode: string; headers?: Record<string, string> } | "hang" | "reset",
  ): void;
  close(): Promise<void>;
}

const STATUS_OF: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};
const FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
const SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

export async function startTestFcmServer(options: { now?: () => number } = {}): Promise<TestFcmServer> {
  const clock = options.now ?? Date.now;
  const projectId = "journeys-test-app";
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const clientEmail = `journeys@${projectId}.iam.gserviceaccount.com`;
  const registered = new Set<string>();
  /** Access token → when it expires (ms). */
  const live = new Map<string, number>();
  const messages: TestFcmServer["messages"] = [];
  const faults: Array<Parameters<TestFcmServer["failNext"]>[0]> = [];
  let issued = 0;
  let base = "";

  const fcmError = (
    res: ServerResponse,
    status: number,
    message: string,
    details: unknown[] = [],
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { "content-type": "application/json; charset=UTF-8", ...headers });
    res.end(
      JSON.stringify({ error: { code: status, message, status: STATUS_OF[status] ?? "UNKNOWN", details } }),
    );
  };
  const badRequest = (res: ServerResponse, field: string, description: string) =>
    fcmError(res, 400, description, [
      { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field, description }] },
    ]);

  const token = (res: ServerResponse, body: string) => {
    const form = new URLSearchParams(body);
    const grant = (error: string, description: string) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error, error_description: description }));
    };
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer")
      return grant("unsupported_grant_type", "Invalid grant_type");
    const [head, claimsPart, signature] = (form.get("assertion") ?? "").split(".");
    if (!head || !claimsPart || !signature) return grant("invalid_request", "Invalid assertion format");
    const header = parse(head) as { alg?: unknown } | null;
    const claims = parse(claimsPart) as Record<string, unknown> | null;
    if (header?.alg !== "RS256" || !claims) return grant("invalid_grant", "Invalid JWT header");
    const signed = verify(
      "sha256",
      Buffer.from(`${head}.${claimsPart}`),
      publicKey,
      Buffer.from(signature, "base64url"),
    );
    if (!signed) return grant("invalid_grant", "Invalid JWT Signature.");
    const now = clock() / 1000;
    const { iss, aud, scope, iat, exp } = claims;
    if (iss !== clientEmail) return grant("invalid_grant", "Invalid grant: account not found");
    if (aud !== `${base}/token`) return grant("invalid_grant", "Invalid JWT: aud must be the token URL");
    if (typeof scope !== "string" || !scope.split(" ").includes(SCOPE))
      return grant("invalid_scope", "Invalid OAuth scope or ID token audience provided.");
    if (
      typeof iat !== "number" ||
      typeof exp !== "number" ||
      iat > now + 60 ||
      exp <= now ||
      exp - iat > 3600
    )
      return grant(
        "invalid_grant",
        "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.",
      );
    const access = `ya29.${randomBytes(24).toString("base64url")}`;
    live.set(access, clock() + 3599_000);
    issued++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ access_token: access, expires_in: 3599, token_type: "Bearer" }));
  };

  const send = (res: ServerResponse, project: string, authorization: string | undefined, body: string) => {
    const bearer = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
    if (!bearer || (live.get(bearer) ?? 0) <= clock())
      return fcmError(
        res,
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
      );
    if (project !== projectId)
      return fcmError(
        res,
        403,
        `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project}'`,
      );
    const message = (parse(body, false) as { message?: Record<string, unknown> } | null)?.message;
    if (!message || typeof message !== "object")
      return badRequest(res, "message", "Invalid JSON payload received.");
    const targets = ["token", "topic", "condition"].filter((k) => message[k] !== undefined);
    if (targets.length !== 1)
      return badRequest(res, "message", "Exactly one of token, topic or condition must be set");
    const data = (message.data ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(data))
      if (typeof value !== "string")
        return badRequest(res, `message.data[${key}].value`, `Invalid value at 'message.data[${key}].value'`);
    const device = String(message.token);
    if (!/^[\w-]+:[\w-]+$/.test(device))
      return fcmError(res, 400, "The registration token is not a valid FCM registration token", [
        { "@type": FCM_ERROR, errorCode: "INVALID_ARGUMENT" },
      ]);
    if (!registered.has(device))
      return fcmError(res, 404, "Requested entity was not found.", [
        { "@type": FCM_ERROR, errorCode: "UNREGISTERED" },
      ]);
    messages.push({ token: device, message });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        name: `projects/${projectId}/messages/0:${Date.now()}%${randomBytes(8).toString("hex")}`,
      }),
    );
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (req.method === "POST" && req.url === "/token") return token(res, body);
      const project = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(req.url ?? "")?.[1];
      if (req.method !== "POST" || !project) return fcmError(res, 404, "Not found");
      const fault = faults.shift();
      if (fault === "hang") return;
      if (fault === "reset") return req.socket.destroy();
      if (fault)
        return fcmError(
          res,
          fault.status,
          `injected ${fault.errorCode}`,
          [{ "@type": FCM_ERROR, errorCode: fault.errorCode }],
          fault.headers,
        );
      send(res, decodeURIComponent(project), req.headers.authorization, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    projectId,
    apiBaseUrl: base,
    tokenUrl: `${base}/token`,
    serviceAccount: {
      type: "service_account",
      project_id: projectId,
      private_key_id: randomBytes(20).toString("hex"),
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      client_email: clientEmail,
      token_uri: "https://oauth2.googleapis.com/token",
    },
    messages,
    tokensIssued: () => issued,
    register() {
      const device = `${randomBytes(11).toString("base64url")}:APA91b${randomBytes(60).toString("base64url")}`;
      registered.add(device);
      return device;
    },
    unregister: (device) => void registered.delete(device),
    revokeAccessTokens: () => live.clear(),
    failNext: (fault) => void faults.push(fault),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parse(text: string, base64 = true): unknown {
  try {
    return JSON.parse(base64 ? Buffer.from(text, "base64url").toString("utf8") : text);
  } catch {
    return null;
  }
}

/** The `PUT …/channels/push` body of an fcm set-up pointing at this server. */
export const fcmSetupInput = (fcm: TestFcmServer) => ({
  provider: "fcm",
  projectId: fcm.projectId,
  serviceAccount: fcm.serviceAccount,
  apiBaseUrl: fcm.apiBaseUrl,
  tokenUrl: fcm.tokenUrl,
});
