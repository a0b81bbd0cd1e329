import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { Resources } from "../../resources";
import { previewTemplate } from "../../templates/preview";
import { PreviewSlots } from "../../templates/preview-slots";
import {
  createTemplate,
  deleteTemplate,
  getTemplate,
  listTemplates,
  updateTemplate,
} from "../../templates/templates";
import { businessAccess } from "../auth";
import { BusinessParams, businessErrors, businessSecurity, ErrorSchema } from "../schemas";

const Channel = Type.Union([
  Type.Literal("email"),
  Type.Literal("sms"),
  Type.Literal("whatsapp"),
  Type.Literal("telegram"),
  Type.Literal("push"),
]);
const WhatsappTemplate = Type.Object({
  name: Type.String(),
  language: Type.String(),
  parameters: Type.Array(Type.String()),
});
/** Every channel's content fields; a template carries those of its channel (DESIGN §5). */
const contentFields = {
  subject: Type.Optional(Type.String({ description: "email" })),
  body: Type.Optional(Type.String({ description: "email (HTML), sms, telegram, whatsapp, push" })),
  text: Type.Optional(
    Type.String({ description: "email: the plain-text part (derived from body when absent)" }),
  ),
  whatsappTemplate: Type.Optional(WhatsappTemplate),
  title: Type.Optional(Type.String({ description: "push" })),
  url: Type.Optional(Type.String({ description: "push" })),
};
const TemplateSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  channel: Channel,
  transactional: Type.Boolean(),
  ...contentFields,
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});
const Rendered = Type.Object({
  channel: Channel,
  subject: Type.Optional(Type.String()),
  html: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  body: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  url: Type.Optional(Type.String()),
  whatsappTemplate: Type.Optional(WhatsappTemplate),
  sms: Type.Optional(
    Type.Object(
      {
        encoding: Type.Union([Type.Literal("GSM-7"), Type.Literal("UCS-2")]),
        characters: Type.Number(),
        segments: Type.Number(),
      },
      { description: "SMS: how the rendered body is split and billed (160 / 70 in one, 153 / 67 per part)." },
    ),
  ),
});
const TemplateParams = Type.Object({
  businessId: Type.String({ minLength: 1, maxLength: 64 }),
  templateId: Type.String({ minLength: 1, maxLength: 64 }),
});
// Content fields are checked per channel by the service (400 naming each field), so the body
// schema only fixes the common fields.
const Body = Type.Object(
  { name: Type.String(), channel: Channel, transactional: Type.Optional(Type.Boolean()) },
  { additionalProperties: true },
);
const Patch = Type.Object(
  {
    name: Type.Optional(Type.String()),
    channel: Type.Optional(Channel),
    transactional: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);
const errors = { ...businessErrors, 409: ErrorSchema, 422: ErrorSchema };
const tags = ["templates"];
const security = businessSecurity;

/** Message templates of a business: CRUD and a preview rendered for a customer and an event. */
export function templateRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    const previews = new PreviewSlots();
    app.addHook("onRequest", businessAccess(r));

    app.get(
      "/:businessId/templates",
      {
        schema: {
          tags,
          security,
          params: BusinessParams,
          querystring: Type.Object({ channel: Type.Optional(Channel) }),
          response: { 200: Type.Object({ data: Type.Array(TemplateSchema) }), ...errors },
        },
      },
      async (request) => ({
        data: await listTemplates(r, request.params.businessId, request.query.channel),
      }),
    );

    app.post(
      "/:businessId/templates",
      {
        schema: {
          tags,
          security,
          params: BusinessParams,
          body: Body,
          response: { 201: TemplateSchema, ...errors },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await createTemplate(r, request.params.businessId, request.body)),
    );

    app.get(
      "/:businessId/templates/:templateId",
      { schema: { tags, security, params: TemplateParams, response: { 200: TemplateSchema, ...errors } } },
      async (request) => getTemplate(r, request.params.businessId, request.params.templateId),
    );

    app.patch(
      "/:businessId/templates/:templateId",
      {
        schema: {
          tags,
          security,
          params: TemplateParams,
          body: Patch,
          response: { 200: TemplateSchema, ...errors },
        },
      },
      async (request) =>
        updateTemplate(r, request.params.businessId, request.params.templateId, request.body),
    );

    app.delete(
      "/:businessId/templates/:templateId",
      {
        schema: {
          tags,
          security,
          params: TemplateParams,
          response: { 204: Type.Null({ description: "Deleted." }), ...errors },
        },
      },
      async (request, reply) => {
        await deleteTemplate(r, request.params.businessId, request.params.templateId);
        return reply.code(204).send(null);
      },
    );

    app.post(
      "/:businessId/templates/:templateId/preview",
      {
        schema: {
          tags,
          summary: "Render the template for a customer (or a blank sample) and a triggering event",
          description:
            "Renders off the main thread within the render budget (a template past it gives 422 render_failed); " +
            "at most 2 previews of a business render at once (429 too_many_previews with Retry-After).",
          security,
          params: TemplateParams,
          body: Type.Object(
            {
              customerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              event: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            },
            { additionalProperties: false },
          ),
          response: { 200: Rendered, ...errors, 429: ErrorSchema },
        },
      },
      async (request) =>
        previews.run(request.params.businessId, () =>
          previewTemplate(r, request.params.businessId, request.params.templateId, request.body ?? {}),
        ),
    );
  };
}
