import { timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { authenticateKey } from "../accounts/api-keys";
import { resolveSession } from "../accounts/sessions";
import { membershipsOf, type User } from "../accounts/users";
import { JourneysError } from "../errors";
import type { Resources } from "../resources";

export const SESSION_COOKIE = "journeys_session";

/** Who is calling: a secret API key of one business, or a signed-in user. */
export type Principal = { kind: "apiKey"; businessId: string; keyId: string } | { kind: "user"; user: User };

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const unauthenticated = () =>
  new JourneysError(
    "unauthenticated",
    "unauthenticated",
    "send a secret API key as `Authorization: Bearer sk_…`, or sign in",
  );

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1])
    throw new JourneysError("unauthenticated", "unauthenticated", "Authorization must be `Bearer <key>`");
  return match[1];
}

/** The signed-in user from the session cookie, or null. */
export async function sessionUser(r: Resources, request: FastifyRequest): Promise<User | null> {
  const token = request.cookies[SESSION_COOKIE];
  return token ? resolveSession(r, token) : null;
}

/**
 * Guards `/api/v1/businesses/:businessId/…`. A key or user without access to that business
 * gets 404, exactly as if the business did not exist, so ids cannot be probed.
 */
export function businessAccess(r: Resources) {
  return async (request: FastifyRequest) => {
    const businessId = (request.params as { businessId?: string }).businessId;
    if (!businessId) throw new Error("businessAccess needs a :businessId route parameter");
    const key = bearer(request);
    if (key) {
      const found = await authenticateKey(r, key, "secret");
      if (!found) throw unauthenticated();
      if (found.businessId !== businessId)
        throw new JourneysError("not_found", "not_found", "business not found");
      request.principal = { kind: "apiKey", ...found };
      return;
    }
    const user = await sessionUser(r, request);
    if (!user) throw unauthenticated();
    const memberships = await membershipsOf(r, user.id);
    if (!memberships.some((m) => m.businessId === businessId)) {
      throw new JourneysError("not_found", "not_found", "business not found");
    }
    request.principal = { kind: "user", user };
  };
}

/** Guards `/api/v1/admin/*` with JOURNEYS_ADMIN_TOKEN; without one configured the admin API is off. */
export function adminAccess(adminToken: string | undefined) {
  return async (request: FastifyRequest) => {
    if (!adminToken) {
      throw new JourneysError(
        "forbidden",
        "admin_disabled",
        "the admin API is off: set JOURNEYS_ADMIN_TOKEN to enable it",
      );
    }
    const presented = bearer(request);
    if (!presented || !sameSecret(presented, adminToken)) {
      throw new JourneysError(
        "unauthenticated",
        "unauthenticated",
        "send the admin token as `Authorization: Bearer …`",
      );
    }
  };
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
