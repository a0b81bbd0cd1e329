// The management API over the session cookie (same origin). Errors keep the API's
// `{ error: { code, message, details } }` so the page can show every problem it lists.

/** The channels a business reaches customers on, as the API names them (DESIGN §5). */
export const CHANNELS = ["email", "sms", "whatsapp", "telegram", "push"];

/** An error response of the API. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code ?? "http_error";
    this.details = error?.details;
  }
}

/** Calls `path` with a JSON body; resolves to the JSON answer, rejects with an ApiError. */
export function api(method, path, body) {
  return send(method, path, body === undefined ? undefined : JSON.stringify(body), "application/json");
}

/** Sends a file (a Blob) as the request body, as `contentType`; answers like `api`. */
export function upload(path, file, contentType, method = "POST") {
  return send(method, path, file, contentType);
}

async function send(method, path, body, contentType) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": contentType },
    body,
    credentials: "same-origin",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // a proxy's HTML error page: keep the status
  }
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith("/api/v1/auth/")) location.assign("/login");
    throw new ApiError(response.status, data?.error);
  }
  return data;
}

/** `api` under `/api/v1/businesses/{businessId}`; `call.upload(path, file, type, method?)` sends a file there. */
export function businessApi(businessId) {
  const base = `/api/v1/businesses/${encodeURIComponent(businessId)}`;
  const call = (method, path, body) => api(method, base + path, body);
  call.upload = (path, file, contentType, method) => upload(base + path, file, contentType, method);
  return call;
}
