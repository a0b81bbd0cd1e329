import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { createBusinessWithOwner } from "../../accounts/bootstrap";
import { changePlan, getBusiness, listBusinesses } from "../../accounts/businesses";
import type { Resources } from "../../resources";
import { adminAccess } from "../auth";
import { BusinessSchema, ErrorSchema, PlanIds } from "../schemas";

const adminErrors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
};

/** Operator routes, guarded by JOURNEYS_ADMIN_TOKEN. */
export function adminRoutes(r: Resources, adminToken: string | undefined): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook("onRequest", adminAccess(adminToken));

    app.post(
      "/businesses",
      {
        schema: {
          tags: ["admin"],
          security: [{ adminToken: [] }],
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 200 }),
              plan: PlanIds,
              ownerEmail: Type.String({ minLength: 3, maxLength: 320 }),
              ownerPassword: Type.Optional(Type.String({ maxLength: 4096 })),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({
              businessId: Type.String(),
              apiKey: Type.String(),
              writeKey: Type.String(),
              ownerEmail: Type.String(),
              ownerPassword: Type.String(),
            }),
            ...adminErrors,
          },
        },
      },
      async (request, reply) => reply.code(201).send(await createBusinessWithOwner(r, request.body)),
    );

    app.get(
      "/businesses",
      {
        schema: {
          tags: ["admin"],
          security: [{ adminToken: [] }],
          response: { 200: Type.Object({ data: Type.Array(BusinessSchema) }), ...adminErrors },
        },
      },
      async () => ({ data: await listBusinesses(r) }),
    );

    app.get(
      "/businesses/:businessId",
      {
        schema: {
          tags: ["admin"],
          security: [{ adminToken: [] }],
          params: Type.Object({ businessId: Type.String() }),
          response: { 200: BusinessSchema, ...adminErrors },
        },
      },
      async (request) => getBusiness(r, request.params.businessId),
    );

    app.patch(
      "/businesses/:businessId",
      {
        schema: {
          tags: ["admin"],
          security: [{ adminToken: [] }],
          params: Type.Object({ businessId: Type.String() }),
          body: Type.Object({ plan: PlanIds }, { additionalProperties: false }),
          response: { 200: BusinessSchema, ...adminErrors },
        },
      },
      async (request) => changePlan(r, request.params.businessId, request.body.plan),
    );
  };
}
