import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { CHANNELS } from "@journeys/core";
import { Type } from "typebox";
import { findChannelSetup } from "../../channels/setup";
import type { TelegramConfig } from "../../channels/telegram";
import { telegramLinkUrl } from "../../channels/telegram-link";
import { toCustomerView } from "../../customers/customer";
import { createCustomer, updateCustomer } from "../../customers/edit";
import { eraseCustomer } from "../../customers/erase";
import { currentMemberships, exportCustomer, findCustomer } from "../../customers/export";
import { customerById } from "../../customers/find";
import { LIST_LIMITS, listCustomers } from "../../customers/list";
import { customerTimeline } from "../../customers/timeline";
import { notFound } from "../../errors";
import type { Resources } from "../../resources";
import { businessAccess } from "../auth";
import { BusinessParams, businessErrors, businessSecurity, ErrorSchema } from "../schemas";

const Status = Type.Union([
  Type.Literal("subscribed"),
  Type.Literal("unsubscribed"),
  Type.Literal("unknown"),
]);
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Addresses = Type.Object(
  {
    telegram: Type.Optional(Type.Object({ chatId: Type.String() }, { additionalProperties: false })),
    push: Type.Optional(
      Type.Array(
        Type.Object(
          {
            kind: Type.Union([Type.Literal("webpush"), Type.Literal("fcm")]),
            endpoint: Type.Optional(Type.String()),
            keys: Type.Optional(Type.Object({ p256dh: Type.String(), auth: Type.String() })),
            token: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        { maxItems: 20 },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The Customer wire format (DESIGN §5) plus locale, topics, addresses and times. */
export const CustomerSchema = Type.Object(
  {
    id: Type.String(),
    userId: Nullable(Type.String()),
    email: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    timezone: Nullable(Type.String()),
    locale: Nullable(Type.String()),
    attributes: Type.Record(Type.String(), Type.Unknown()),
    subscriptions: Type.Object(Object.fromEntries(CHANNELS.map((channel) => [channel, Status])), {
      description: "Every channel; `unknown` where no consent is recorded.",
    }),
    topics: Type.Record(Type.String(), Type.Record(Type.String(), Status)),
    addresses: Type.Intersect([
      Addresses,
      Type.Object({
        whatsapp: Type.Optional(
          Type.Object(
            { lastInboundAt: Type.Number() },
            { description: "The customer's last WhatsApp message: free text may go for 24 hours after it." },
          ),
        ),
      }),
    ]),
    createdAt: Type.Number(),
    updatedAt: Type.Number(),
  },
  { $id: "Customer" },
);

/** Create and update bodies: every field optional; `null` clears a field or an attribute. */
const CustomerBody = Type.Object(
  {
    userId: Type.Optional(Nullable(Type.String())),
    email: Type.Optional(Nullable(Type.String())),
    phone: Type.Optional(Nullable(Type.String())),
    timezone: Type.Optional(Nullable(Type.String())),
    locale: Type.Optional(Nullable(Type.String())),
    attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    subscriptions: Type.Optional(Type.Record(Type.String(), Type.String())),
    topics: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.String()))),
    addresses: Type.Optional(Addresses),
  },
  { additionalProperties: false },
);

const CustomerParams = Type.Object({ businessId: Type.String(), customerId: Type.String({ maxLength: 64 }) });

const TimelineEntrySchema = Type.Union([
  Type.Object({
    kind: Type.Literal("event"),
    at: Type.Number(),
    eventId: Type.String(),
    type: Type.String(),
    name: Nullable(Type.String()),
    properties: Type.Record(Type.String(), Type.Unknown()),
  }),
  Type.Object({
    kind: Type.Literal("segment"),
    at: Type.Number(),
    change: Type.Union([Type.Literal("joined"), Type.Literal("left")]),
    segmentId: Type.String(),
    segmentName: Nullable(Type.String()),
  }),
  Type.Object({
    kind: Type.Literal("message"),
    at: Type.Number(),
    deliveryId: Type.String(),
    channel: Type.String(),
    templateId: Type.String(),
    journeyId: Nullable(Type.String()),
    status: Type.String(),
    detail: Type.Unknown(),
  }),
]);

const MembershipSchema = Type.Object({
  segmentId: Type.String(),
  segmentName: Nullable(Type.String()),
  since: Type.Number(),
});

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

/** A message in the GDPR export (`ExportedDelivery`). */
const ExportedDeliverySchema = Type.Object({
  id: Type.String(),
  journeyId: Nullable(Type.String()),
  enrollmentId: Nullable(Type.String()),
  nodeId: Nullable(Type.String()),
  channel: Type.String(),
  templateId: Type.String(),
  status: Type.String(),
  attempts: Type.Number(),
  messageId: Nullable(Type.String()),
  detail: Type.Unknown(),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
  sentAt: NullableNumber,
});

/** A journey enrollment in the GDPR export (`ExportedEnrollment`), with its trail. */
const ExportedEnrollmentSchema = Type.Object({
  id: Type.String(),
  journeyId: Type.String(),
  version: Type.Number(),
  run: Type.Number(),
  state: Type.String(),
  nodeId: Nullable(Type.String()),
  waitUntil: NullableNumber,
  exitReason: Nullable(Type.String()),
  triggerEvent: Type.Unknown(),
  enteredAt: Type.Number(),
  updatedAt: Type.Number(),
  trail: Type.Array(Type.Record(Type.String(), Type.Unknown())),
});

/**
 * Customers of a business: list (filter, search, cursor pages), get with a timeline,
 * create, update, GDPR erase and export. CSV import lives in `imports.ts`.
 */
export function customerRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook("onRequest", businessAccess(r));
    const tags = ["customers"];

    app.get(
      "/:businessId/customers",
      {
        schema: {
          tags,
          security: businessSecurity,
          description:
            "Customers in id (creation) order. Filters combine with AND; `attribute.<name>=value` " +
            "matches a custom attribute (compared as text); `q` is a prefix of the email, userId or phone.",
          params: BusinessParams,
          querystring: Type.Object(
            {
              email: Type.Optional(Type.String()),
              userId: Type.Optional(Type.String()),
              segmentId: Type.Optional(Type.String()),
              q: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
              limit: Type.Optional(
                Type.Integer({
                  minimum: 1,
                  maximum: LIST_LIMITS.maxLimit,
                  default: LIST_LIMITS.defaultLimit,
                }),
              ),
              cursor: Type.Optional(Type.String({ maxLength: 512 })),
            },
            { additionalProperties: false, patternProperties: { "^attribute\\..+$": Type.String() } },
          ),
          response: {
            200: Type.Object({ data: Type.Array(CustomerSchema), nextCursor: Nullable(Type.String()) }),
            ...businessErrors,
          },
        },
      },
      async (request) => {
        const { email, userId, segmentId, q, limit, cursor, ...rest } = request.query as Record<
          string,
          string
        > & {
          limit: number;
        };
        const attributes: Record<string, string> = {};
        for (const [key, value] of Object.entries(rest)) attributes[key.slice("attribute.".length)] = value;
        const page = await listCustomers(
          r.store.db,
          r.store.dialect,
          request.params.businessId,
          { email, userId, segmentId, q, attributes },
          limit ?? LIST_LIMITS.defaultLimit,
          cursor ?? null,
        );
        return { data: page.data.map(toCustomerView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      "/:businessId/customers/:customerId",
      {
        schema: {
          tags,
          security: businessSecurity,
          description:
            "The customer, their current segments and a timeline (events and segment changes, newest " +
            "first); page the timeline with `timelineLimit` and `timelineCursor`.",
          params: CustomerParams,
          querystring: Type.Object(
            {
              timelineLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
              timelineCursor: Type.Optional(Type.String({ maxLength: 512 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Intersect([
              CustomerSchema,
              Type.Object({
                segments: Type.Array(MembershipSchema),
                timeline: Type.Object({
                  entries: Type.Array(TimelineEntrySchema),
                  nextCursor: Nullable(Type.String()),
                }),
              }),
            ]),
            ...businessErrors,
          },
        },
      },
      async (request) => {
        const { businessId, customerId } = request.params;
        const customer = await findCustomer(r.store.db, businessId, customerId);
        const [segments, timeline] = await Promise.all([
          currentMemberships(r.store.db, businessId, customerId),
          customerTimeline(
            r.store.db,
            businessId,
            customerId,
            request.query.timelineLimit ?? 50,
            request.query.timelineCursor ?? null,
          ),
        ]);
        return { ...toCustomerView(customer), segments, timeline };
      },
    );

    app.post(
      "/:businessId/customers",
      {
        schema: {
          tags,
          security: businessSecurity,
          description:
            "400 `invalid_customer` lists every problem in `details.fields`; 409 `email_taken`, " +
            "`user_id_taken`, `customer_erased`; 402 `plan_limit_reached`.",
          params: BusinessParams,
          body: CustomerBody,
          response: { 201: CustomerSchema, 402: ErrorSchema, 409: ErrorSchema, ...businessErrors },
        },
      },
      async (request, reply) => {
        const saved = await createCustomer(r, request.params.businessId, request.body);
        return reply.code(201).send(toCustomerView(saved.customer));
      },
    );

    app.patch(
      "/:businessId/customers/:customerId",
      {
        schema: {
          tags,
          security: businessSecurity,
          description:
            "Changes only the fields sent (`null` clears); re-evaluates the segments the change can affect.",
          params: CustomerParams,
          body: CustomerBody,
          response: { 200: CustomerSchema, 409: ErrorSchema, ...businessErrors },
        },
      },
      async (request) => {
        const { businessId, customerId } = request.params;
        return toCustomerView((await updateCustomer(r, businessId, customerId, request.body)).customer);
      },
    );

    app.delete(
      "/:businessId/customers/:customerId",
      {
        schema: {
          tags,
          security: businessSecurity,
          description:
            "GDPR erase: ends the customer's segment memberships (logged as `left`), deletes the " +
            "profile, aliases, events and everything else kept per customer, and keeps hashes of " +
            "the userId, email and phone so the person is not silently re-created (`customer_erased`).",
          params: CustomerParams,
          response: {
            200: Type.Object({
              id: Type.String(),
              erasedAt: Type.Number(),
              segmentsLeft: Type.Array(Type.String()),
              deleted: Type.Record(Type.String(), Type.Number()),
              suppressedIdentities: Type.Number(),
            }),
            ...businessErrors,
          },
        },
      },
      async (request) => eraseCustomer(r, request.params.businessId, request.params.customerId),
    );

    app.get(
      "/:businessId/customers/:customerId/telegram-link",
      {
        schema: {
          tags,
          security: businessSecurity,
          description:
            "The customer's signed Telegram deep link: opening it and pressing Start links their chat " +
            "and subscribes them to telegram. 404 when the customer does not exist or telegram is not set up.",
          params: CustomerParams,
          response: { 200: Type.Object({ url: Type.String() }), ...businessErrors },
        },
      },
      async (request) => {
        const { businessId, customerId } = request.params;
        const setup = await findChannelSetup(r, businessId, "telegram");
        if (setup?.provider !== "telegram") throw notFound("telegram channel set-up");
        if (!(await customerById(r, businessId, customerId))) throw notFound("customer");
        const { botUsername } = setup.config as unknown as TelegramConfig;
        return { url: await telegramLinkUrl(r.store, businessId, customerId, botUsername) };
      },
    );

    app.get(
      "/:businessId/customers/:customerId/export",
      {
        schema: {
          tags,
          security: businessSecurity,
          description:
            "GDPR export, as JSON: profile, aliases, every event, segment memberships (current and " +
            "the joined/left log), every message (`deliveries`: channel, template, status, attempts, " +
            "Message-ID, why it was skipped or failed, times) and every journey enrollment with its " +
            "trail of decisions — everything the erase deletes as the customer's. Oldest first.",
          params: CustomerParams,
          response: {
            200: Type.Object({
              exportedAt: Type.Number(),
              profile: CustomerSchema,
              aliases: Type.Array(Type.Object({ anonymousId: Type.String(), createdAt: Type.Number() })),
              events: Type.Array(Type.Record(Type.String(), Type.Unknown())),
              memberships: Type.Object({
                current: Type.Array(MembershipSchema),
                history: Type.Array(
                  Type.Object({ segmentId: Type.String(), change: Type.String(), at: Type.Number() }),
                ),
              }),
              deliveries: Type.Array(ExportedDeliverySchema),
              enrollments: Type.Array(ExportedEnrollmentSchema),
            }),
            ...businessErrors,
          },
        },
      },
      async (request, reply) => {
        const { businessId, customerId } = request.params;
        const data = await exportCustomer(r, businessId, customerId);
        return reply
          .header("content-disposition", `attachment; filename="${customerId}.json"`)
          .send({ ...data, profile: toCustomerView(data.profile) });
      },
    );
  };
}
