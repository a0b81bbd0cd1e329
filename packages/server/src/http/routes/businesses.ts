import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { PLANS } from "@journeys/core";
import { Type } from "typebox";
import { getBusiness } from "../../accounts/businesses";
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

/** The business itself and what its plan allows. */
export function businessRoutes(r: Resources): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/:businessId",
      {
        preHandler: businessAccess(r),
        schema: {
          tags: ["businesses"],
          security: businessSecurity,
          params: BusinessParams,
          response: {
            200: Type.Intersect([BusinessSchema, Type.Object({ planDetails: PlanSchema })]),
            ...businessErrors,
          },
        },
      },
      async (request) => {
        const business = await getBusiness(r, request.params.businessId);
        const plan = PLANS[business.plan];
        return {
          ...business,
          planDetails: { ...plan, modules: [...plan.modules], limits: { ...plan.limits } },
        };
      },
    );
  };
}
