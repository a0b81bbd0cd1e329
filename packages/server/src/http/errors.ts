import type { FastifyError, FastifyInstance } from "fastify";
import { type ErrorKind, JourneysError } from "../errors";

/** The one place where error kinds become HTTP statuses. */
const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthenticated: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

export interface ErrorBody {
  /** `details` is always there (DESIGN §5): what the error names, or null. */
  error: { code: string; message: string; details: unknown };
}

/** Every error leaves as `{"error":{"code","message","details"}}`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(body("not_found", `no route for ${request.method} ${request.url.split("?")[0]}`));
  });

  app.setErrorHandler((error: FastifyError | JourneysError | Error, request, reply) => {
    if (error instanceof JourneysError) {
      const retryAfter = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      if (error.kind === "rate_limited" && typeof retryAfter === "number")
        reply.header("retry-after", String(retryAfter));
      return reply.code(STATUS[error.kind]).send(body(error.code, error.message, error.details));
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const seen = new Set<string>();
      const fields = fastifyError.validation
        .map((v) => ({
          field: fieldOf(fastifyError.validationContext, v.instancePath, v.params),
          message: v.message ?? "is invalid",
        }))
        .filter((f) => !seen.has(f.field) && seen.add(f.field));
      const first = fields[0];
      return reply
        .code(400)
        .send(body("invalid_request", first ? `${first.field} ${first.message}` : error.message, { fields }));
    }
    switch (fastifyError.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return reply
          .code(413)
          .send(
            body(
              "payload_too_large",
              `request body is larger than the limit of ${request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit} bytes`,
            ),
          );
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return reply.code(415).send(body("unsupported_media_type", "send the body as application/json"));
      case "FST_ERR_CTP_INVALID_JSON_BODY":
        return reply.code(400).send(body("invalid_json", "the body is not valid JSON"));
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
        return reply
          .code(400)
          .send(body("invalid_json", "the body is empty but Content-Type is application/json"));
    }
    if (fastifyError.statusCode && fastifyError.statusCode < 500) {
      return reply.code(fastifyError.statusCode).send(body("bad_request", error.message));
    }
    request.log.error({ err: error }, "unhandled error");
    return reply.code(500).send(body("internal", "something went wrong on our side; it has been logged"));
  });
}

export function body(code: string, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, details: details ?? null } };
}

function fieldOf(context: string | undefined, instancePath: string, params: Record<string, unknown>): string {
  const base = context ?? "body";
  const path = instancePath.replace(/^\//, "").replaceAll("/", ".");
  const missing = typeof params.missingProperty === "string" ? params.missingProperty : "";
  const extra = typeof params.additionalProperty === "string" ? params.additionalProperty : "";
  return [base, path, missing || extra].filter(Boolean).join(".");
}
