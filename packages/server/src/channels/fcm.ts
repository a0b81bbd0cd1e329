import { createPrivateKey, sign } from "node:crypto";
import { httpUrlField, type SetupProblem } from "./definition";
import { failureOf, type HttpClient, type HttpResponse, networkFailure } from "./http";
import { type DeviceOutcome, shortReason } from "./push-device";

/**
 * Firebase Cloud Messaging, HTTP v1, to app and browser device tokens: `POST
 * {apiBaseUrl}/v1/projects/{projectId}/messages:send` with an OAuth 2 access token of a
 * service account. The token comes from the service account's key: an RS256-signed JWT
 * assertion (`iss` the account, `aud` the token URL, an hour long) exchanged at `tokenUrl`
 * (RFC 7523), and is kept until a minute before it expires. A 401 from FCM fetches a new token
 * and tries once more.
 *
 * FCM answers `{ name: "projects/…/messages/…" }` (the provider message id), or
 * `{ error: { code, message, status, details: [{ "@type": "…FcmError", errorCode }] } }`:
 * UNREGISTERED (404), and INVALID_ARGUMENT naming the registration token, mean the token is
 * gone; QUOTA_EXCEEDED (429), UNAVAILABLE (503) and INTERNAL (500) are worth another try.
 *
 * @example
 *   const fcm = new FcmSender(client, { projectId: "shop-app", serviceAccount: json, clientEmail }, 10_000);
 *   await fcm.send("dX4k…:APA91b…", { title: "Hi", body: "Your order shipped" });
 *   // → { ok: true, id: "projects/shop-app/messages/0:1500415314455276%31bd1c9631bd1c96" }
 */
export interface FcmSetup {
  projectId: string;
  /** The service account's JSON key, as text (a secret). */
  serviceAccount: string;
  /** The service account's `client_email`, shown by the API (the key is not). */
  clientEmail: string;
  apiBaseUrl?: string;
  tokenUrl?: string;
}

export const FCM_API = "https://fcm.googleapis.com";
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
const SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
const FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
const BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest";
const PROJECT_ID = /^[a-z][a-z0-9-]{4,61}[a-z0-9]$/;

interface ServiceAccount {
  type: "service_account";
  project_id: string;
  private_key_id?: string;
  private_key: string;
  client_email: string;
  token_uri?: string;
}

/**
 * Checks an FCM set-up (`{ projectId, serviceAccount, apiBaseUrl?, tokenUrl? }`, on its own or
 * as the `fcm` part of a webpush set-up: `prefix` "fcm."). A service account left out keeps
 * the stored one only while the project and both URLs stay: the key signs assertions for the
 * token URL, and the access token goes to the API base URL.
 */
export function parseFcm(
  input: Record<string, unknown>,
  existing: FcmSetup | null,
  options: { prefix?: string; allow?: string[] } = {},
): FcmSetup | SetupProblem[] {
  const prefix = options.prefix ?? "";
  const problems: SetupProblem[] = [];
  const known = ["projectId", "serviceAccount", "apiBaseUrl", "tokenUrl", ...(options.allow ?? [])];
  for (const key of Object.keys(input))
    if (!known.includes(key))
      problems.push({ field: `${prefix}${key}`, message: "is not a field of the fcm set-up" });
  const { projectId } = input;
  if (typeof projectId !== "string" || !PROJECT_ID.test(projectId))
    problems.push({
      field: `${prefix}projectId`,
      message: 'must be the Firebase project id, e.g. "shop-app-1a2b3"',
    });
  const apiBaseUrl = httpUrlField(input.apiBaseUrl, `${prefix}apiBaseUrl`, problems, FCM_API);
  const tokenUrl = httpUrlField(input.tokenUrl, `${prefix}tokenUrl`, problems, GOOGLE_TOKEN_URL);
  let serviceAccount: ServiceAccount | null = null;
  if (input.serviceAccount === undefined || input.serviceAccount === null) {
    const same =
      existing !== null &&
      existing.projectId === projectId &&
      existing.apiBaseUrl === apiBaseUrl &&
      existing.tokenUrl === tokenUrl;
    if (same) serviceAccount = JSON.parse(existing.serviceAccount) as ServiceAccount;
    else
      problems.push({
        field: `${prefix}serviceAccount`,
        message: existing
          ? "must be sent again: the projectId, apiBaseUrl or tokenUrl changed"
          : "is required: the service account's JSON key file",
      });
  } else {
    const checked = checkServiceAccount(input.serviceAccount);
    if (typeof checked === "string") problems.push({ field: `${prefix}serviceAccount`, message: checked });
    else serviceAccount = checked;
  }
  if (problems.length > 0 || !serviceAccount) return problems;
  return {
    projectId: projectId as string,
    serviceAccount: JSON.stringify(serviceAccount),
    clientEmail: serviceAccount.client_email,
    ...(apiBaseUrl ? { apiBaseUrl } : {}),
    ...(tokenUrl ? { tokenUrl } : {}),
  };
}

/** The service account key (the JSON file, as an object or its text), or what is wrong with it. */
function checkServiceAccount(value: unknown): ServiceAccount | string {
  let account = value;
  if (typeof value === "string") {
    try {
      account = value.length <= 16_384 ? JSON.parse(value) : null;
    } catch {
      return "must be the service account's JSON key file (it is not JSON)";
    }
  }
  const a = (account ?? {}) as Record<string, unknown>;
  if (typeof account !== "object" || a.type !== "service_account")
    return 'must be a service account JSON key file ("type": "service_account")';
  if (typeof a.project_id !== "string" || typeof a.client_email !== "string" || !a.client_email.includes("@"))
    return "must carry project_id and client_email";
  if (a.token_uri !== undefined && typeof a.token_uri !== "string") return "token_uri must be a string";
  if (a.private_key_id !== undefined && typeof a.private_key_id !== "string")
    return "private_key_id must be a string";
  try {
    if (typeof a.private_key !== "string" || createPrivateKey(a.private_key).asymmetricKeyType !== "rsa")
      throw new Error();
  } catch {
    return "private_key must be the account's RSA private key (PEM)";
  }
  return {
    type: "service_account",
    project_id: a.project_id,
    ...(a.private_key_id ? { private_key_id: a.private_key_id as string } : {}),
    private_key: a.private_key,
    client_email: a.client_email,
    ...(a.token_uri ? { token_uri: a.token_uri as string } : {}),
  };
}

export interface FcmNotification {
  title: string;
  body: string;
  url?: string;
}

export class FcmSender {
  readonly #account: ServiceAccount;
  readonly #sendUrl: string;
  readonly #tokenUrl: string;
  #token: { value: string; refreshAt: number } | null = null;
  #fetching: Promise<string | DeviceOutcome> | null = null;

  constructor(
    private readonly client: HttpClient,
    setup: FcmSetup,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#account = JSON.parse(setup.serviceAccount) as ServiceAccount;
    this.#sendUrl = `${setup.apiBaseUrl ?? FCM_API}/v1/projects/${encodeURIComponent(setup.projectId)}/messages:send`;
    this.#tokenUrl = setup.tokenUrl ?? GOOGLE_TOKEN_URL;
  }

  /** Sends a notification to one device token; never throws. */
  async send(token: string, notification: FcmNotification): Promise<DeviceOutcome> {
    const { title, body, url } = notification;
    const message = {
      token,
      notification: { title, body },
      ...(url ? { data: { url } } : {}),
      // FCM opens the link on a click in a browser; it takes https links only.
      ...(url?.startsWith("https:") ? { webpush: { fcm_options: { link: url } } } : {}),
    };
    for (let attempt = 1; ; attempt++) {
      const access = await this.#accessToken();
      if (typeof access !== "string") return access;
      let response: HttpResponse;
      try {
        response = await this.client.request({
          method: "POST",
          url: this.#sendUrl,
          headers: { authorization: `Bearer ${access}` },
          json: { message },
          timeoutMs: this.timeoutMs,
        });
      } catch (error) {
        return { ok: false, failure: networkFailure(error), gone: false };
      }
      if (response.status >= 200 && response.status < 300) {
        const name = (response.json as { name?: unknown } | null)?.name;
        return typeof name === "string" && name
          ? { ok: true, id: name }
          : {
              ok: false,
              failure: { ok: false, kind: "retryable", message: "FCM answered no message name" },
              gone: false,
            };
      }
      const error = fcmError(response);
      if (response.status === 401 && error.errorCode !== "THIRD_PARTY_AUTH_ERROR") {
        // The access token was revoked or expired early: one more try with a fresh one.
        if (this.#token?.value === access) this.#token = null;
        if (attempt === 1) continue;
        return {
          ok: false,
          failure: {
            ok: false,
            kind: "retryable",
            message: `FCM refused the access token (${error.reason})`,
          },
          gone: false,
        };
      }
      return {
        ok: false,
        failure: failureOf(response, `FCM refused the message (${error.reason})`),
        gone: error.tokenGone,
      };
    }
  }

  /** A cached access token, or one fetched now (concurrent sends share one fetch). */
  #accessToken(): Promise<string | DeviceOutcome> {
    if (this.#token && this.now() < this.#token.refreshAt) return Promise.resolve(this.#token.value);
    this.#fetching ??= this.#fetchToken().finally(() => {
      this.#fetching = null;
    });
    return this.#fetching;
  }

  async #fetchToken(): Promise<string | DeviceOutcome> {
    let response: HttpResponse;
    try {
      response = await this.client.request({
        method: "POST",
        url: this.#tokenUrl,
        form: { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: this.#assertion() },
        timeoutMs: this.timeoutMs,
      });
    } catch (error) {
      return { ok: false, failure: networkFailure(error), gone: false };
    }
    const answer = (response.json ?? {}) as {
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
      error_description?: unknown;
    };
    if (response.status === 200 && typeof answer.access_token === "string") {
      const seconds = typeof answer.expires_in === "number" ? answer.expires_in : 3600;
      this.#token = { value: answer.access_token, refreshAt: this.now() + Math.max(0, seconds - 60) * 1000 };
      return answer.access_token;
    }
    const reason = [answer.error, answer.error_description].filter((s) => typeof s === "string").join(": ");
    const failure = failureOf(
      response,
      `the token endpoint refused the service account (${shortReason(reason)})`,
    );
    // A refused key is the set-up's fault, not the message's: retried until it is fixed (as SMTP logins).
    return {
      ok: false,
      failure:
        failure.kind === "permanent"
          ? { ...failure, kind: "retryable", message: `${failure.message}; check the fcm set-up` }
          : failure,
      gone: false,
    };
  }

  /** The signed JWT a service account trades for an access token (RFC 7523). */
  #assertion(): string {
    const iat = Math.floor(this.now() / 1000);
    const header = {
      alg: "RS256",
      typ: "JWT",
      ...(this.#account.private_key_id ? { kid: this.#account.private_key_id } : {}),
    };
    const claims = {
      iss: this.#account.client_email,
      scope: SCOPE,
      aud: this.#tokenUrl,
      iat,
      exp: iat + 3600,
    };
    const input = `${base64url(header)}.${base64url(claims)}`;
    const signature = sign("sha256", Buffer.from(input), this.#account.private_key).toString("base64url");
    return `${input}.${signature}`;
  }
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** FCM's error shape read: its errorCode, a short reason, and whether it is about the token. */
function fcmError(response: HttpResponse): { errorCode: string | null; reason: string; tokenGone: boolean } {
  const error = ((response.json as { error?: unknown } | null)?.error ?? {}) as {
    message?: unknown;
    status?: unknown;
    details?: unknown;
  };
  const details = Array.isArray(error.details) ? (error.details as Array<Record<string, unknown>>) : [];
  const code = details.find((d) => d["@type"] === FCM_ERROR)?.errorCode;
  const errorCode = typeof code === "string" ? code : null;
  const message = typeof error.message === "string" ? error.message : shortReason(response.body);
  const onToken =
    details.some(
      (d) =>
        d["@type"] === BAD_REQUEST &&
        Array.isArray(d.fieldViolations) &&
        d.fieldViolations.some((v: { field?: unknown }) => v.field === "message.token"),
    ) || /registration token/i.test(message);
  const status = typeof error.status === "string" ? error.status : null;
  return {
    errorCode,
    reason: `${errorCode ?? status ?? "error"}: ${shortReason(message)}`,
    tokenGone: errorCode === "UNREGISTERED" || ((errorCode ?? status) === "INVALID_ARGUMENT" && onToken),
  };
}
