import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { JourneysError } from "../errors";
import { plainJsonParser } from "../http/json-shape";
import type { Resources } from "../resources";
import { type IngestResult, ingest } from "./ingest";
import { INGEST_LIMITS, type MessageType } from "./messages";
import { writeKeyBusiness } from "./write-key";

/**
 * The Segment HTTP tracking API, so Segment and RudderStack SDKs work by changing the host:
 * POST /v1/identify | track | page | screen | group | alias (one message, 32 KB) and
 * /v1/batch (`{ batch: [...] }`, 500 KB). The write key is the HTTP Basic user, or `writeKey`
 * in the body. Browser analytics.js posts to the short paths /v1/i | t | p | s | g | a and
 * /v1/b, from any origin, usually as text/plain: every /v1 route answers CORS, preflights
 * included. A write key is public by design (it ships in web pages); it can only add data.
 *
 * Answers 200 `{ success: true, accepted, duplicates, rejected: [...] }` once the accepted
 * messages are durable; a batch with some invalid messages keeps the valid ones. A call whose
 * messages were all rejected answers 400 with the reasons (402 for a single message over the
 * plan's customer limit).
 */
export function ingestRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Each message is checked for its shape on its own (ingest.ts), so that one message nested
    // too deep does not cost a batch its valid ones: the body is parsed without the app's check.
    // Some browser SDKs send JSON as text/plain (to avoid a CORS preflight).
    const parse = plainJsonParser(app);
    app.removeContentTypeParser("application/json");
    for (const type of ["application/json", "text/plain"])
      app.addContentTypeParser(type, { parseAs: "string" }, (request, body, done) =>
        parse(request, body as string, done),
      );

    // CORS for browsers on other origins, on every answer (errors too, so the SDK can read them).
    app.addHook("onRequest", async (request, reply) => {
      reply.header("access-control-allow-origin", "*");
      if (request.method === "OPTIONS") {
        reply.header("access-control-allow-methods", "POST, OPTIONS");
        reply.header("access-control-allow-headers", "authorization, content-type");
        reply.header("access-control-max-age", "86400");
      }
    });
    app.options("/*", { schema: { hide: true } }, async (_request, reply) => reply.code(204).send());

    const single = (type: MessageType, path: string) =>
      app.post(
        `/${path}`,
        {
          bodyLimit: INGEST_LIMITS.messageBytes,
          schema: {
            tags: ["ingestion"],
            hide: path !== type,
            security: [{ writeKey: [] }],
            description: `One Segment \`${type}\` message (≤ ${INGEST_LIMITS.messageBytes / 1024} KB; also at /v1/${type[0]}). 200 once durable; 400 with a code for an invalid message, 401 for a missing or unknown write key, 402 over the plan's customer limit, 413 over the size.`,
          },
        },
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
    for (const type of ["identify", "track", "page", "screen", "group", "alias"] as const) {
      single(type, type);
      single(type, type[0]!);
    }

    const batch = (path: string) =>
      app.post(
        `/${path}`,
        {
          bodyLimit: INGEST_LIMITS.batchBytes,
          schema: {
            tags: ["ingestion"],
            hide: path !== "batch",
            security: [{ writeKey: [] }],
            description: `\`{ "batch": [messages], "sentAt"? }\` (≤ ${INGEST_LIMITS.batchBytes / 1024} KB; also at /v1/b). Valid messages are kept and invalid ones listed in \`rejected\` with their index and code; 400 when none is valid, 401 for the write key, 413 over the size.`,
          },
        },
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
    batch("batch");
    batch("b");
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
