import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { JourneysError } from "../../errors";
import type { Resources } from "../../resources";
import { changeListMembers, type ListInput, listFromCsv } from "../../segments/manual-lists";
import { listMembers } from "../../segments/members";
import { previewSegment, SAMPLE_SIZE } from "../../segments/preview";
import {
  createSegment,
  deleteSegment,
  getSegment,
  listSegments,
  updateSegment,
} from "../../segments/segments";
import { sizeHistory } from "../../segments/sizes";
import { businessAccess } from "../auth";
import { BusinessParams, businessErrors, businessSecurity, ErrorSchema } from "../schemas";

const Rule = Type.Unknown({
  description:
    "A Condition (all / any / not / attribute / event / subscribed / inSegment, see DESIGN §5), or null for a manual list. " +
    "Rules are kept in the form profiles are stored in: email values in lower case, phone values of eq / neq / in in E.164 " +
    "(a value that is no international number is refused) and of contains / startsWith without spaces, dashes or brackets.",
});
const SegmentSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  rule: Rule,
  size: Type.Number({ description: "Members now." }),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});
const CustomerSummary = Type.Object({
  id: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
});
const SegmentParams = Type.Object({
  businessId: Type.String({ minLength: 1, maxLength: 64 }),
  segmentId: Type.String({ minLength: 1, maxLength: 64 }),
});
const Name = Type.String({ minLength: 1, maxLength: 200 });
const errors = { ...businessErrors, 402: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema };
const tags = ["segments"];

const ListChangeSchema = Type.Object({
  size: Type.Number(),
  joined: Type.Number(),
  left: Type.Number(),
  unknown: Type.Array(
    Type.Object({
      index: Type.Optional(Type.Number({ description: "Position in a JSON list (from 0)." })),
      line: Type.Optional(Type.Number({ description: "Line of a CSV (the header is line 1)." })),
      value: Type.String(),
      reason: Type.String(),
    }),
  ),
});

/** CSV member lists may be as large as a customer import. */
const CSV_LIMIT = 50 * 1024 * 1024;

/**
 * Segments of a business (DESIGN §5 `{ id, name, rule }`): CRUD, a preview before saving,
 * members with cursor pagination, size history, and the members of manual lists (JSON ids or
 * a CSV upload, replaced with PUT or appended with POST).
 */
export function segmentRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook("onRequest", businessAccess(r));
    app.addContentTypeParser("text/csv", { parseAs: "string", bodyLimit: CSV_LIMIT }, (_req, body, done) =>
      done(null, body),
    );

    app.get(
      "/:businessId/segments",
      {
        schema: {
          tags,
          security: businessSecurity,
          params: BusinessParams,
          response: { 200: Type.Object({ data: Type.Array(SegmentSchema) }), ...errors },
        },
      },
      async (request) => ({ data: await listSegments(r, request.params.businessId) }),
    );

    app.post(
      "/:businessId/segments",
      {
        schema: {
          tags,
          security: businessSecurity,
          params: BusinessParams,
          body: Type.Object({ name: Name, rule: Rule }, { additionalProperties: false }),
          response: { 201: SegmentSchema, ...errors },
        },
      },
      async (request, reply) => {
        const segment = await createSegment(r, request.params.businessId, request.body);
        return reply.code(201).send(segment);
      },
    );

    app.post(
      "/:businessId/segments/preview",
      {
        schema: {
          tags,
          summary: "Who a rule would select now, without saving it",
          security: businessSecurity,
          params: BusinessParams,
          body: Type.Object({ rule: Rule }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              count: Type.Number(),
              sample: Type.Array(CustomerSummary, { maxItems: SAMPLE_SIZE }),
            }),
            ...errors,
          },
        },
      },
      async (request) => previewSegment(r, request.params.businessId, request.body.rule),
    );

    app.get(
      "/:businessId/segments/:segmentId",
      {
        schema: {
          tags,
          security: businessSecurity,
          params: SegmentParams,
          response: { 200: SegmentSchema, ...errors },
        },
      },
      async (request) => getSegment(r, request.params.businessId, request.params.segmentId),
    );

    app.patch(
      "/:businessId/segments/:segmentId",
      {
        schema: {
          tags,
          security: businessSecurity,
          params: SegmentParams,
          body: Type.Object(
            { name: Type.Optional(Name), rule: Type.Optional(Rule) },
            { additionalProperties: false },
          ),
          response: { 200: SegmentSchema, ...errors },
        },
      },
      async (request) => updateSegment(r, request.params.businessId, request.params.segmentId, request.body),
    );

    app.delete(
      "/:businessId/segments/:segmentId",
      {
        schema: {
          tags,
          summary:
            "Delete a segment; refused (409 segment_in_use) while another segment reads it or a journey that is not archived uses it",
          security: businessSecurity,
          params: SegmentParams,
          response: { 204: Type.Null({ description: "Deleted." }), ...errors },
        },
      },
      async (request, reply) => {
        await deleteSegment(r, request.params.businessId, request.params.segmentId);
        return reply.code(204).send(null);
      },
    );

    app.get(
      "/:businessId/segments/:segmentId/members",
      {
        schema: {
          tags,
          security: businessSecurity,
          params: SegmentParams,
          querystring: Type.Object({
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          }),
          response: {
            200: Type.Object({
              data: Type.Array(Type.Intersect([CustomerSummary, Type.Object({ since: Type.Number() })])),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { businessId, segmentId } = request.params;
        await getSegment(r, businessId, segmentId);
        return listMembers(r.store.db, businessId, segmentId, request.query);
      },
    );

    app.get(
      "/:businessId/segments/:segmentId/size-history",
      {
        schema: {
          tags,
          summary: "Members per UTC day: past days as the sweep last recorded them, today the members now",
          security: businessSecurity,
          params: SegmentParams,
          querystring: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 366, default: 30 }) }),
          response: {
            200: Type.Object({
              data: Type.Array(Type.Object({ date: Type.String(), size: Type.Number() })),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { businessId, segmentId } = request.params;
        await getSegment(r, businessId, segmentId);
        return {
          data: await sizeHistory(r.store.db, businessId, segmentId, request.query.days, r.clock.now()),
        };
      },
    );

    for (const [method, mode] of [
      ["PUT", "replace"],
      ["POST", "append"],
    ] as const) {
      app.route({
        method,
        url: "/:businessId/segments/:segmentId/members",
        bodyLimit: CSV_LIMIT,
        schema: {
          tags,
          summary: `${mode === "replace" ? "Replace" : "Add to"} the members of a manual list`,
          description:
            "Send `{ customerIds: [...] }` as JSON, or a CSV (`Content-Type: text/csv`) whose header names a column `id`, `userId` or `email`. Rows naming no customer are listed in `unknown`.",
          security: businessSecurity,
          params: SegmentParams,
          body: {
            content: {
              "application/json": {
                schema: Type.Object(
                  { customerIds: Type.Array(Type.String(), { maxItems: 50_000 }) },
                  { additionalProperties: false },
                ),
              },
              "text/csv": { schema: Type.String() },
            },
          },
          response: { 200: ListChangeSchema, ...errors },
        } as never,
        handler: async (request) => {
          const { businessId, segmentId } = request.params as { businessId: string; segmentId: string };
          return changeListMembers(r, businessId, segmentId, await memberList(request.body), mode);
        },
      });
    }
  };
}

async function memberList(body: unknown): Promise<ListInput> {
  if (typeof body === "string") return listFromCsv(body);
  if (
    typeof body === "object" &&
    body !== null &&
    Array.isArray((body as { customerIds?: unknown }).customerIds)
  ) {
    const ids = (body as { customerIds: string[] }).customerIds;
    return { kind: "id", entries: ids.map((value, index) => ({ index, value })) };
  }
  throw new JourneysError("bad_request", "invalid_request", "send { customerIds: [...] } or a text/csv body");
}
