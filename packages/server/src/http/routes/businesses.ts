import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { PLANS } from "@journeys/core";
import { Type } from "typebox";
import { type Business, getBusiness } from "../../accounts/businesses";
import { changeSettings } from "../../accounts/settings";
import type { Resources } from "../../resources";
import { businessAccess } from "../auth";
import { BusinessParams, BusinessSchema, businessErrors, businessSecurity } from "../schemas";

const Limit = Type.Union([Type.Number(), Type.Null()]);
const PlanSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  modules: Type.Array(Type.String()),
  limits: Type.Object({ journeys: Limit, segments: Limit, customers: Limit, aiCreditsPerMonth: Limit }),
});
const BusinessWithPlan = Type.Intersect([BusinessSchema, Type.Object({ planDetails: PlanSchema })]);

/** Unknown fields are refused (400 `invalid_request`), so a misspelt setting is not silently ignored. */
const BusinessPatch = Type.Object(
  {
    settings: Type.Optional(
      Type.Object(
        {
          emailOptOut: Type.Optional(
            Type.Boolean({
              description:
                "Email as opt-out: `unknown` email consent counts as subscribed for marketing sends " +
                "and for `{ subscribed: email }` segments.",
            }),
          ),
          timezone: Type.Optional(
            Type.String({
              maxLength: 64,
              description: "IANA time zone; quiet hours of customers without a timezone are read in it.",
            }),
          ),
          quietHours: Type.Optional(
            Type.Union([
              Type.Object(
                {
                  start: Type.String({ description: '"HH:MM", local time' }),
                  end: Type.String({ description: '"HH:MM", local time; before start spans midnight' }),
                },
                { additionalProperties: false },
              ),
              Type.Null(),
            ]),
          ),
          frequencyCaps: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  channel: Type.Union([
                    Type.Literal("all"),
                    Type.Literal("email"),
                    Type.Literal("sms"),
                    Type.Literal("whatsapp"),
                    Type.Literal("telegram"),
                    Type.Literal("push"),
                  ]),
                  max: Type.Integer(),
                  perHours: Type.Integer(),
                },
                { additionalProperties: false },
              ),
              { maxItems: 10 },
            ),
          ),
          sendRates: Type.Optional(
            Type.Object(
              Object.fromEntries(
                ["email", "sms", "whatsapp", "telegram", "push"].map((c) => [
                  c,
                  Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
                ]),
              ),
              {
                additionalProperties: false,
                description:
                  "At most this many messages per second on a channel for the whole business (every message, " +
                  "transactional too); a message over the rate is deferred to the next free moment.",
              },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

function withPlanDetails(business: Business) {
  const plan = PLANS[business.plan];
  return { ...business, planDetails: { ...plan, modules: [...plan.modules], limits: { ...plan.limits } } };
}

/** The business itself, what its plan allows, and its settings. */
export function businessRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/:businessId",
      {
        onRequest: businessAccess(r),
        schema: {
          tags: ["businesses"],
          security: businessSecurity,
          params: BusinessParams,
          response: { 200: BusinessWithPlan, ...businessErrors },
        },
      },
      async (request) => withPlanDetails(await getBusiness(r, request.params.businessId)),
    );

    app.patch(
      "/:businessId",
      {
        onRequest: businessAccess(r),
        schema: {
          tags: ["businesses"],
          summary: "Change the business's settings",
          description:
            "Changes only the settings sent. Switching `emailOptOut` re-evaluates every segment that " +
            "reads email consent (and those that read them), logging joined / left membership events. " +
            "`quietHours` (in each customer's timezone, else `timezone`) and `frequencyCaps` defer marketing " +
            "messages to the next allowed moment on every channel (transactional templates are exempt).",
          security: businessSecurity,
          params: BusinessParams,
          body: BusinessPatch,
          response: { 200: BusinessWithPlan, ...businessErrors },
        },
      },
      async (request) =>
        withPlanDetails(await changeSettings(r, request.params.businessId, request.body.settings ?? {})),
    );
  };
}
