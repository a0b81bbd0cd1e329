import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ManualClock } from "../../clock";
import { DefinitionCache } from "../../engine/definitions";
import { type Dispatch, settleFully } from "../../engine/loop";
import { JourneysError } from "../../errors";
import type { Resources } from "../../resources";
import { adminAccess } from "../auth";
import { ErrorSchema } from "../schemas";

/**
 * Time travel for black-box tests (JOURNEYS_CLOCK=manual, only with JOURNEYS_ENV=test):
 * `POST /api/v1/admin/clock` moves the clock, `POST /api/v1/admin/settle` returns once no work
 * is due — so a 3-day journey is tested in milliseconds.
 */
export function adminTimeRoutes(
  r: Resources,
  adminToken: string | undefined,
  dispatch?: Dispatch,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook("onRequest", adminAccess(adminToken));
    const definitions = new DefinitionCache();
    const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 409: ErrorSchema };

    app.get(
      "/clock",
      {
        schema: {
          tags: ["admin"],
          response: { 200: Type.Object({ now: Type.Number(), kind: Type.String() }), ...errors },
        },
      },
      async () => ({
        now: r.clock.now(),
        kind: r.clock.kind,
      }),
    );

    app.post(
      "/clock",
      {
        schema: {
          tags: ["admin"],
          body: Type.Union([
            Type.Object({ advanceMs: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
            Type.Object({ to: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
          ]),
          response: { 200: Type.Object({ now: Type.Number() }), ...errors },
        },
      },
      async (request) => {
        const clock = r.clock;
        if (!(clock instanceof ManualClock)) {
          throw new JourneysError(
            "conflict",
            "clock_not_manual",
            "the clock only moves when the server runs with JOURNEYS_CLOCK=manual (and JOURNEYS_ENV=test)",
          );
        }
        const body = request.body as { advanceMs?: number; to?: number };
        try {
          return { now: body.to !== undefined ? clock.set(body.to) : clock.advance(body.advanceMs ?? 0) };
        } catch (error) {
          throw new JourneysError("bad_request", "invalid_clock_move", (error as Error).message);
        }
      },
    );

    app.post(
      "/settle",
      {
        schema: {
          tags: ["admin"],
          response: {
            200: Type.Object({
              now: Type.Number(),
              rounds: Type.Number(),
              memberships: Type.Number(),
              steps: Type.Number(),
              deliveries: Type.Number(),
            }),
            ...errors,
          },
        },
      },
      async () => {
        const report = await settleFully(r, definitions, dispatch ? { dispatch } : {});
        return { now: r.clock.now(), ...report };
      },
    );
  };
}
