import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { authenticateKey } from "../accounts/api-keys";
import { JourneysError } from "../errors";
import type { Resources } from "../resources";
import { type IngestResult, ingest } from "./ingest";
import { INGEST_LIMITS, type MessageType } from "./messages";

/**
 * The Segment HTTP tracking API, so Segment and RudderStack SDKs work by changing the host:
 * POST /v1/identify | track | page | screen | group | alias (one message, 32 KB) and
 * /v1/batch (`{ batch: [...] }`, 500 KB). The write key is the HTTP Basic user, or `writeKey`
 * in the body.
 *
 * Answers 200 `{ success: true, accepted, duplicates, rejected: [...] }` once the accepted
 * messages are durable; a batch with some invalid messages keeps the valid ones. A call whose
 * messages were all rejected answers 400 with the reasons.
 */
export function ingestRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Some browser SDKs send JSON as text/plain (to avoid a CORS preflight).
    app.addContentTypeParser("text/plain", { parseAs: "string" }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new JourneysError("bad_request", "invalid_json", "the body is not valid JSON"), undefined);
      }
    });

    const single = (type: MessageType) =>
      app.post(
        `/${type}`,
        { bodyLimit: INGEST_LIMITS.messageBytes, schema: { tags: ["ingestion"], hide: false } },
        async (request, reply) => {
          const businessId = await writeKeyBusiness(r, request);
          const result = await ingest(r, businessId, [request.body], { pathType: type });
          if (result.accepted === 0 && result.duplicates === 0) {
            const { kind, code, message, details } = result.rejected[0]!;
            throw new JourneysError(kind, code, message, details);
          }
          return reply.send(answer(result));
        },
      );
    for (const type of ["identify", "track", "page", "screen", "group", "alias"] as const) single(type);

    app.post(
      "/batch",
      { bodyLimit: INGEST_LIMITS.batchBytes, schema: { tags: ["ingestion"] } },
      async (request, reply) => {
        const businessId = await writeKeyBusiness(r, request);
        const body = request.body as { batch?: unknown; sentAt?: unknown } | null;
        if (!body || !Array.isArray(body.batch)) {
          throw new JourneysError(
            "bad_request",
            "invalid_batch",
            'the body must be { "batch": [ …messages ] }',
          );
        }
        const result = await ingest(r, businessId, body.batch, { batchSentAt: body.sentAt });
        if (body.batch.length > 0 && result.accepted === 0 && result.duplicates === 0) {
          throw new JourneysError("bad_request", "invalid_batch", "no message of the batch was valid", {
            rejected: answer(result).rejected,
          });
        }
        return reply.send(answer(result));
      },
    );
  };
}

/** The wire answer: each rejection with its code, message and details (its kind is internal). */
function answer(result: IngestResult) {
  return {
    success: true,
    accepted: result.accepted,
    duplicates: result.duplicates,
    rejected: result.rejected.map(({ kind: _, ...rejection }) => rejection),
  };
}

async function writeKeyBusiness(r: Resources, request: FastifyRequest): Promise<string> {
  let key: string | undefined;
  const header = request.headers.authorization;
  if (header?.startsWith("Basic ")) {
    key = Buffer.from(header.slice(6).trim(), "base64").toString("utf8").split(":")[0];
  } else {
    const body = request.body as { writeKey?: unknown } | null;
    if (typeof body?.writeKey === "string") key = body.writeKey;
  }
  if (!key) {
    throw new JourneysError(
      "unauthenticated",
      "missing_write_key",
      "send the write key as the HTTP Basic user, or as writeKey in the body",
    );
  }
  const found = await authenticateKey(r, key, "write");
  if (!found)
    throw new JourneysError("unauthenticated", "invalid_write_key", "the write key is unknown or revoked");
  return found.businessId;
}
