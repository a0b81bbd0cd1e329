import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, Type } from "typebox";
import { notifyWork } from "../../engine/signals";
import { enrollmentWithTrail, listEnrollments } from "../../journeys/enrollments";
import { activateJourney, archiveJourney, pauseJourney, validateJourney } from "../../journeys/lifecycle";
import {
  createJourney,
  duplicateJourney,
  getJourney,
  listJourneys,
  listVersions,
  updateJourney,
} from "../../journeys/service";
import { simulateJourney } from "../../journeys/simulate";
import type { Resources } from "../../resources";
import { businessAccess } from "../auth";
import { BusinessParams, businessErrors, businessSecurity, ErrorSchema } from "../schemas";

const JourneySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    status: Type.Union([
      Type.Literal("draft"),
      Type.Literal("active"),
      Type.Literal("paused"),
      Type.Literal("archived"),
    ]),
    version: Type.Number(),
    run: Type.Number(),
    publishedVersion: Type.Union([Type.Number(), Type.Null()]),
    trigger: Type.Unknown(),
    start: Type.String(),
    nodes: Type.Record(Type.String(), Type.Unknown()),
    createdAt: Type.Number(),
    updatedAt: Type.Number(),
    activatedAt: Type.Union([Type.Number(), Type.Null()]),
    archivedAt: Type.Union([Type.Number(), Type.Null()]),
  },
  { description: "DESIGN §5 Journey: trigger + start + nodes, with the lifecycle fields" },
);

/** An activated journey, with the lint's warnings (a split whose branches match, …). */
const ActivatedSchema = Type.Intersect([
  JourneySchema,
  Type.Object({
    warnings: Type.Array(
      Type.Object({
        code: Type.String(),
        nodeId: Type.Union([Type.String(), Type.Null()]),
        message: Type.String(),
      }),
    ),
  }),
]);
/**
 * What a client may send: a §5 document, read-only fields and all (§5's example carries status
 * and version; a GET → PATCH round trip carries every one). Any other field is refused, so a
 * misspelt one is not silently dropped.
 */
const JourneyBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    trigger: Type.Optional(Type.Unknown()),
    start: Type.Optional(Type.Unknown()),
    nodes: Type.Optional(Type.Unknown()),
    ...Type.Partial(Type.Omit(JourneySchema, ["name", "trigger", "start", "nodes"])).properties,
  },
  {
    additionalProperties: false,
    description:
      "DESIGN §5 Journey. The fields the server owns (id, status, version, run, publishedVersion, timestamps) may be sent back as a GET returns them; they are ignored. Status changes only through activate, pause and archive.",
  },
);
/** The fields of a body the server takes; the rest of it is read-only. */
const writable = ({ name, trigger, start, nodes }: Static<typeof JourneyBody>) => ({
  name,
  trigger,
  start,
  nodes,
});
const Params = Type.Object({ businessId: Type.String(), journeyId: Type.String() });
const errors = { ...businessErrors, 402: ErrorSchema, 403: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema };

/** Journeys: definitions, lifecycle, versions, enrollments with their trail, simulation. */
export function journeyRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook("onRequest", businessAccess(r));
    const tags = ["journeys"];
    const security = businessSecurity;

    app.get(
      "/:businessId/journeys",
      {
        schema: {
          tags,
          security,
          params: BusinessParams,
          querystring: Type.Object({ includeArchived: Type.Optional(Type.Boolean()) }),
          response: { 200: Type.Object({ data: Type.Array(JourneySchema) }), ...errors },
        },
      },
      async (request) => ({
        data: await listJourneys(r, request.params.businessId, request.query.includeArchived ?? false),
      }),
    );

    app.post(
      "/:businessId/journeys",
      {
        schema: {
          tags,
          security,
          params: BusinessParams,
          body: JourneyBody,
          response: { 201: JourneySchema, ...errors },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await createJourney(r, request.params.businessId, writable(request.body))),
    );

    app.get(
      "/:businessId/journeys/:journeyId",
      { schema: { tags, security, params: Params, response: { 200: JourneySchema, ...errors } } },
      async (request) => getJourney(r, request.params.businessId, request.params.journeyId),
    );

    app.patch(
      "/:businessId/journeys/:journeyId",
      {
        schema: {
          tags,
          security,
          params: Params,
          body: JourneyBody,
          response: { 200: JourneySchema, ...errors },
        },
      },
      async (request) =>
        updateJourney(r, request.params.businessId, request.params.journeyId, writable(request.body)),
    );

    app.post(
      "/:businessId/journeys/:journeyId/duplicate",
      { schema: { tags, security, params: Params, response: { 201: JourneySchema, ...errors } } },
      async (request, reply) =>
        reply.code(201).send(await duplicateJourney(r, request.params.businessId, request.params.journeyId)),
    );

    app.post(
      "/:businessId/journeys/:journeyId/validate",
      {
        schema: {
          tags,
          security,
          params: Params,
          response: {
            200: Type.Object({ problems: Type.Array(Type.Unknown()), warnings: Type.Array(Type.Unknown()) }),
            ...errors,
          },
        },
      },
      async (request) => validateJourney(r, request.params.businessId, request.params.journeyId),
    );

    for (const [action, run] of [
      ["activate", activateJourney],
      ["pause", pauseJourney],
      ["archive", archiveJourney],
    ] as const) {
      app.post(
        `/:businessId/journeys/:journeyId/${action}`,
        {
          schema: {
            tags,
            security,
            params: Params,
            ...(action === "activate"
              ? {
                  description:
                    "Validates and activates: 422 `journey_invalid` with every problem, else the journey with the lint's `warnings` (code, nodeId, message), which do not stop it.",
                }
              : {}),
            response: { 200: action === "activate" ? ActivatedSchema : JourneySchema, ...errors },
          },
        },
        async (request) => {
          const journey = await run(r, request.params.businessId, request.params.journeyId);
          notifyWork(r.store);
          return journey;
        },
      );
    }

    app.get(
      "/:businessId/journeys/:journeyId/versions",
      {
        schema: {
          tags,
          security,
          params: Params,
          response: { 200: Type.Object({ data: Type.Array(Type.Unknown()) }), ...errors },
        },
      },
      async (request) => ({
        data: await listVersions(r, request.params.businessId, request.params.journeyId),
      }),
    );

    app.get(
      "/:businessId/journeys/:journeyId/enrollments",
      {
        schema: {
          tags,
          security,
          params: Params,
          querystring: Type.Object({
            customerId: Type.Optional(Type.String()),
            state: Type.Optional(
              Type.Union([Type.Literal("active"), Type.Literal("waiting"), Type.Literal("exited")]),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
            cursor: Type.Optional(Type.String()),
          }),
          response: {
            200: Type.Object({
              data: Type.Array(Type.Unknown()),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      async (request) =>
        listEnrollments(r, request.params.businessId, request.params.journeyId, request.query),
    );

    app.get(
      "/:businessId/journeys/:journeyId/enrollments/:enrollmentId",
      {
        schema: {
          tags,
          security,
          params: Type.Object({
            businessId: Type.String(),
            journeyId: Type.String(),
            enrollmentId: Type.String(),
          }),
          response: { 200: Type.Unknown(), ...errors },
        },
      },
      async (request) =>
        enrollmentWithTrail(
          r,
          request.params.businessId,
          request.params.journeyId,
          request.params.enrollmentId,
        ),
    );

    app.post(
      "/:businessId/journeys/:journeyId/simulate",
      {
        schema: {
          tags,
          security,
          params: Params,
          body: Type.Object(
            {
              customerId: Type.Optional(Type.String()),
              sample: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
              event: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Unknown(), ...errors },
        },
      },
      async (request) =>
        simulateJourney(r, request.params.businessId, request.params.journeyId, request.body),
    );
  };
}
