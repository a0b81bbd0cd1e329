import Ajv, { type Options } from "ajv";
import addFormats from "ajv-formats";
import type { FastifyInstance } from "fastify";

const COMMON: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };

/**
 * Two validators: JSON bodies are validated as sent (a number where a string belongs is an
 * error, not silently turned into "7"); params and querystrings arrive as strings and are
 * coerced to the types their schemas declare.
 */
export function installValidation(app: FastifyInstance): void {
  const exact = new Ajv({ ...COMMON, coerceTypes: false });
  const coercing = new Ajv({ ...COMMON, coerceTypes: "array" });
  for (const ajv of [exact, coercing]) {
    addFormats.default(ajv);
  }
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === "body" ? exact : coercing).compile(schema as object),
  );
}
