import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { DELIVERY_PAGE, listDeliveries } from "../../dispatcher/deliveries";
import type { Resources } from "../../resources";
import { businessAccess } from "../auth";
import { BusinessParams, businessErrors, businessSecurity } from "../schemas";

const Channel = Type.Union([
  Type.Literal("email"),
  Type.Literal("sms"),
  Type.Literal("whatsapp"),
  Type.Literal("telegram"),
  Type.Literal("push"),
]);
const Delivery = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  customerId: Type.String(),
  journeyId: Type.Optional(Type.String()),
  nodeId: Type.Optional(Type.String()),
  broadcastId: Type.Optional(Type.String()),
  status: Type.Union([
    Type.Literal("queued"),
    Type.Literal("sent"),
    Type.Literal("delivered"),
    Type.Literal("opened"),
    Type.Literal("clicked"),
    Type.Literal("bounced"),
    Type.Literal("failed"),
    Type.Literal("skipped"),
    Type.Literal("deferred"),
  ]),
  reason: Type.Optional(
    Type.String({ description: "Why skipped, failed, bounced or deferred (a stable code)." }),
  ),
  message: Type.Optional(
    Type.String({ description: "The reason in words, or the last error of a retried send." }),
  ),
  providerMessageId: Type.Optional(Type.String()),
  attempts: Type.Number(),
  nextAttemptAt: Type.Optional(Type.Number()),
  sentAt: Type.Optional(Type.Number()),
  at: Type.Number({ description: "When the status last changed (epoch ms)." }),
});

/** The messages a business's journeys sent, skipped, deferred or failed (DESIGN §5 Delivery). */
export function deliveryRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook("onRequest", businessAccess(r));
    app.get(
      "/:businessId/deliveries",
      {
        schema: {
          tags: ["deliveries"],
          summary: "List deliveries, newest first, by journey, node, broadcast, customer or channel",
          security: businessSecurity,
          params: BusinessParams,
          querystring: Type.Object(
            {
              journeyId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              nodeId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              broadcastId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              customerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              channel: Type.Optional(Channel),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: DELIVERY_PAGE.maxLimit })),
              cursor: Type.Optional(Type.String({ maxLength: 128 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              data: Type.Array(Delivery),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...businessErrors,
          },
        },
      },
      async (request) => {
        const { limit, cursor, ...filter } = request.query;
        return listDeliveries(
          r,
          request.params.businessId,
          filter as Parameters<typeof listDeliveries>[2],
          limit ?? DELIVERY_PAGE.defaultLimit,
          cursor ?? null,
        );
      },
    );
  };
}
