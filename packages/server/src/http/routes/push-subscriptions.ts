import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { findChannelSetup } from "../../channels/setup";
import {
  readDevice,
  readPushSubscription,
  readUserId,
  removePushSubscription,
  savePushSubscription,
} from "../../customers/push-subscriptions";
import { JourneysError } from "../../errors";
import { writeKeyBusiness } from "../../ingest/write-key";
import type { Resources } from "../../resources";

const FIELDS = new Set(["userId", "subscription", "fcmToken", "writeKey"]);
const tags = ["ingestion"];
const security = [{ writeKey: [] }];

/**
 * Push subscriptions from the business's pages and apps (DESIGN §5 Addresses), with the write
 * key as the ingestion API takes it (the HTTP Basic user, or `writeKey` in the body), CORS open:
 * - `POST /v1/push/subscriptions` `{ userId, subscription }` or `{ userId, fcmToken }` → 200
 *   `{ success: true }`; the customer is created when the userId is new;
 * - `DELETE /v1/push/subscriptions` with the same body (only the endpoint is needed) removes it;
 * - `GET /v1/push/vapid-public-key` → `{ vapidPublicKey }`, the browser's applicationServerKey.
 * 400 `invalid_user_id` / `invalid_push_subscription` (with `details.field`), 401 for the key.
 *
 * @example
 *   curl -u wk_…: -H 'content-type: application/json' https://journeys.example.com/v1/push/subscriptions \
 *     -d '{"userId":"u1","fcmToken":"dX4k…:APA91b…"}'
 */
export function pushSubscriptionRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook("onRequest", async (request, reply) => {
      reply.header("access-control-allow-origin", "*");
      if (request.method === "OPTIONS") {
        reply.header("access-control-allow-methods", "GET, POST, DELETE, OPTIONS");
        reply.header("access-control-allow-headers", "authorization, content-type");
        reply.header("access-control-max-age", "86400");
      }
    });
    const preflight = async (_request: FastifyRequest, reply: FastifyReply) => reply.code(204).send();
    app.options("/subscriptions", { schema: { hide: true } }, preflight);
    app.options("/vapid-public-key", { schema: { hide: true } }, preflight);

    app.post(
      "/subscriptions",
      {
        bodyLimit: 16_384,
        schema: {
          tags,
          security,
          description:
            "Adds a push device to the customer with this userId (created if new): `{ userId, subscription }` with the browser's PushSubscription JSON, or `{ userId, fcmToken }`. The same endpoint or token replaces the stored one; the newest 20 are kept. Push becomes `subscribed`.",
        },
      },
      async (request) => {
        const businessId = await writeKeyBusiness(r, request);
        const body = subscriptionBody(request.body);
        const userId = readUserId(body.userId);
        await savePushSubscription(
          r,
          businessId,
          userId,
          readPushSubscription(body, { allowHttp: r.outbound.allowPrivateNetwork }),
        );
        return { success: true };
      },
    );

    app.delete(
      "/subscriptions",
      {
        bodyLimit: 16_384,
        schema: {
          tags,
          security,
          description:
            "Removes a push device: `{ userId, subscription: { endpoint } }` or `{ userId, fcmToken }`. `removed` says whether it was stored.",
        },
      },
      async (request) => {
        const businessId = await writeKeyBusiness(r, request);
        const body = subscriptionBody(request.body);
        const userId = readUserId(body.userId);
        return {
          success: true,
          removed: await removePushSubscription(r, businessId, userId, readDevice(body)),
        };
      },
    );

    app.get(
      "/vapid-public-key",
      {
        schema: {
          tags,
          security,
          description:
            "The business's VAPID public key, for `pushManager.subscribe({ applicationServerKey })`; 404 `push_not_configured` without a webpush set-up.",
        },
      },
      async (request) => {
        const businessId = await writeKeyBusiness(r, request);
        const setup = await findChannelSetup(r, businessId, "push");
        const key = setup?.provider === "webpush" ? setup.config.vapidPublicKey : undefined;
        if (typeof key !== "string")
          throw new JourneysError(
            "not_found",
            "push_not_configured",
            "the push channel is not set up for Web Push",
          );
        return { vapidPublicKey: key };
      },
    );
  };
}

function subscriptionBody(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new JourneysError("bad_request", "invalid_push_subscription", "the body must be a JSON object", {
      field: "body",
    });
  for (const field of Object.keys(body))
    if (!FIELDS.has(field))
      throw new JourneysError("bad_request", "invalid_push_subscription", `${field} is not a field here`, {
        field,
      });
  return body as Record<string, unknown>;
}
