/**
 * Errors that reach a user carry a stable `code`; the HTTP layer maps the kind to a status in
 * one place (http/errors.ts). Codes are part of the API contract: never renamed.
 */
export type ErrorKind =
  | "bad_request"
  | "unauthenticated"
  | "forbidden"
  | "payment_required"
  | "not_found"
  | "conflict"
  | "unprocessable"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "unavailable";

export class JourneysError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "JourneysError";
  }
}

/**
 * A refusal for now, not for good: 429 with `Retry-After` (seconds), and the same in `details`.
 *
 * @example throw rateLimited("too_many_sign_ins", "too many wrong passwords for this account", 60)
 */
export function rateLimited(code: string, message: string, retryAfterSeconds: number): JourneysError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new JourneysError("rate_limited", code, `${message}; try again in ${seconds} s`, {
    retryAfterSeconds: seconds,
  });
}

export const notFound = (what: string) => new JourneysError("not_found", "not_found", `${what} not found`);
