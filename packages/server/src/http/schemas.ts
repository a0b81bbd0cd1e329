import { Type } from "typebox";

/** Shared response shapes, so the OpenAPI document describes what the API really sends. */
export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: "Error" },
);

export const PlanIds = Type.Union([
  Type.Literal("starter"),
  Type.Literal("lite"),
  Type.Literal("growth"),
  Type.Literal("business"),
  Type.Literal("enterprise"),
]);

export const BusinessSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  plan: PlanIds,
  settings: Type.Object({
    emailOptOut: Type.Boolean(),
    timezone: Type.String(),
    quietHours: Type.Union([Type.Object({ start: Type.String(), end: Type.String() }), Type.Null()]),
    frequencyCaps: Type.Array(
      Type.Object({ channel: Type.String(), max: Type.Number(), perHours: Type.Number() }),
    ),
    sendRates: Type.Record(Type.String(), Type.Number(), { description: "Messages per second, by channel." }),
  }),
  createdAt: Type.Number(),
});

export const ApiKeySchema = Type.Object({
  id: Type.String(),
  businessId: Type.String(),
  kind: Type.Union([Type.Literal("secret"), Type.Literal("write")]),
  name: Type.String(),
  prefix: Type.String(),
  createdAt: Type.Number(),
  lastUsedAt: Type.Union([Type.Number(), Type.Null()]),
  revokedAt: Type.Union([Type.Number(), Type.Null()]),
});

export const UserSchema = Type.Object({ id: Type.String(), email: Type.String(), createdAt: Type.Number() });

export const BusinessParams = Type.Object({ businessId: Type.String({ minLength: 1, maxLength: 64 }) });

/** Error responses every authenticated business route can give. */
export const businessErrors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema };

/** Business routes accept a secret API key or a UI session. */
export const businessSecurity: Array<Record<string, string[]>> = [{ apiKey: [] }, { session: [] }];
