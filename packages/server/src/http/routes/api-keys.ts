import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { createApiKey, listApiKeys, revokeApiKey } from "../../accounts/api-keys";
import type { Resources } from "../../resources";
import { businessAccess } from "../auth";
import { ApiKeySchema, BusinessParams, businessErrors, businessSecurity } from "../schemas";

/** Secret and write keys of a business: list, create (the key is in this response only), revoke. */
export function apiKeyRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook("onRequest", businessAccess(r));

    app.get(
      "/:businessId/api-keys",
      {
        schema: {
          tags: ["api keys"],
          security: businessSecurity,
          params: BusinessParams,
          response: { 200: Type.Object({ data: Type.Array(ApiKeySchema) }), ...businessErrors },
        },
      },
      async (request) => ({ data: await listApiKeys(r, request.params.businessId) }),
    );

    app.post(
      "/:businessId/api-keys",
      {
        schema: {
          tags: ["api keys"],
          security: businessSecurity,
          params: BusinessParams,
          body: Type.Object(
            {
              kind: Type.Union([Type.Literal("secret"), Type.Literal("write")]),
              name: Type.Optional(Type.String({ maxLength: 200 })),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Intersect([ApiKeySchema, Type.Object({ key: Type.String() })]),
            ...businessErrors,
          },
        },
      },
      async (request, reply) => {
        const { apiKey, key } = await createApiKey(r, request.params.businessId, request.body);
        return reply.code(201).send({ ...apiKey, key });
      },
    );

    app.delete(
      "/:businessId/api-keys/:keyId",
      {
        schema: {
          tags: ["api keys"],
          security: businessSecurity,
          params: Type.Object({ businessId: Type.String(), keyId: Type.String() }),
          response: { 200: ApiKeySchema, ...businessErrors },
        },
      },
      async (request) => revokeApiKey(r, request.params.businessId, request.params.keyId),
    );
  };
}
