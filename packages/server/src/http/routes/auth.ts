import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { createSession, endSession, SESSION_TTL_MS } from "../../accounts/sessions";
import { admitSignIn, signInSucceeded } from "../../accounts/sign-in-throttle";
import { membershipsOf, verifyCredentials } from "../../accounts/users";
import { JourneysError } from "../../errors";
import type { Resources } from "../../resources";
import { SESSION_COOKIE, sessionUser } from "../auth";
import { ErrorSchema, UserSchema } from "../schemas";

const Me = Type.Object({
  user: UserSchema,
  businesses: Type.Array(Type.Object({ businessId: Type.String(), role: Type.String() })),
});

/** Sign-in for the UI: email + password → HttpOnly session cookie. */
export function authRoutes(r: Resources, options: { publicUrl: string }): FastifyPluginAsyncTypebox {
  // Served over https (JOURNEYS_PUBLIC_URL, or a trusted proxy's X-Forwarded-Proto), the cookie
  // is never sent over plain http.
  const httpsOnly = options.publicUrl.startsWith("https://");
  return async (app) => {
    app.post(
      "/login",
      {
        schema: {
          tags: ["auth"],
          body: Type.Object(
            {
              email: Type.String({ minLength: 3, maxLength: 320 }),
              password: Type.String({ minLength: 1, maxLength: 1024 }),
            },
            { additionalProperties: false },
          ),
          description:
            "Signs in with email and password. Throttled per account (after 4 attempts in a row, " +
            "waits doubling from 1 s to 15 min) and per client address (50 attempts per 15 min): " +
            "429 `too_many_sign_ins` with Retry-After.",
          response: { 200: Me, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 429: ErrorSchema },
        },
      },
      async (request, reply) => {
        const { email, password } = request.body;
        await admitSignIn(r, email, request.ip);
        const user = await verifyCredentials(r, email, password);
        if (!user)
          throw new JourneysError("unauthenticated", "invalid_credentials", "wrong email or password");
        await signInSucceeded(r, email, request.ip);
        const session = await createSession(r, user.id);
        reply.setCookie(SESSION_COOKIE, session.token, {
          path: "/",
          httpOnly: true,
          sameSite: "lax",
          secure: httpsOnly || request.protocol === "https",
          maxAge: Math.floor(SESSION_TTL_MS / 1000),
        });
        return { user, businesses: await membershipsOf(r, user.id) };
      },
    );

    app.post("/logout", { schema: { tags: ["auth"] } }, async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await endSession(r, token);
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return reply.code(204).send();
    });

    app.get(
      "/me",
      { schema: { tags: ["auth"], response: { 200: Me, 401: ErrorSchema } } },
      async (request) => {
        const user = await sessionUser(r, request);
        if (!user) throw new JourneysError("unauthenticated", "unauthenticated", "not signed in");
        return { user, businesses: await membershipsOf(r, user.id) };
      },
    );
  };
}
