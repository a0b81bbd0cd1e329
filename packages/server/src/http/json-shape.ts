import { jsonShapeProblem, unstorableText } from "@journeys/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { JourneysError } from "../errors";

/**
 * Levels of nesting a management-API body may have. The deepest legitimate bodies — a segment
 * rule at its 10 condition levels, a customer's attributes at their own 32 — stay well inside.
 */
export const BODY_DEPTH = 64;

type BodyParser = (
  request: FastifyRequest,
  body: string,
  done: (error: Error | null, value?: unknown) => void,
) => void;

/**
 * JSON bodies are parsed by fastify's own parser (which refuses `__proto__` and `constructor`
 * keys) and then checked for their shape before any route sees them: deeper than `BODY_DEPTH`
 * or holding text a database cannot store (U+0000, an unpaired surrogate) is 400 with the path.
 * Query strings and route parameters cannot carry U+0000 either.
 *
 * Ingestion checks each message of a batch on its own instead (`messageShapeProblem`), so that
 * one bad message does not cost the valid ones: it parses with `plainJsonParser`.
 */
export function installJsonShapeChecks(app: FastifyInstance): void {
  const parse = plainJsonParser(app);
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) =>
    parse(request, body as string, (error, value) => {
      if (error) return done(error, undefined);
      const problem = jsonShapeProblem(value, { maxDepth: BODY_DEPTH });
      if (!problem) return done(null, value);
      const { code, message, ...details } = problem;
      done(new JourneysError("bad_request", code, message, details), undefined);
    }),
  );
  app.addHook("preValidation", async (request) => {
    for (const [part, values] of [
      ["query", request.query],
      ["params", request.params],
    ] as const) {
      for (const [name, value] of Object.entries((values ?? {}) as Record<string, unknown>)) {
        for (const text of [name, ...(Array.isArray(value) ? value : [value])]) {
          const why = typeof text === "string" ? unstorableText(text) : null;
          if (why)
            throw new JourneysError(
              "bad_request",
              "invalid_string",
              `${part} ${JSON.stringify(name)} ${why}`,
              { path: name },
            );
        }
      }
    }
  });
}

/** fastify's JSON parser as it is: prototype-poisoning keys refused, no shape check. */
export function plainJsonParser(app: FastifyInstance): BodyParser {
  return app.getDefaultJsonParser("error", "error") as BodyParser;
}
