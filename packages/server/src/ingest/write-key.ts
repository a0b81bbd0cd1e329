import type { FastifyRequest } from "fastify";
import { authenticateKey } from "../accounts/api-keys";
import { JourneysError } from "../errors";
import type { Resources } from "../resources";

/**
 * The business of a public write key (wk_…), as Segment clients send it: the HTTP Basic user,
 * or `writeKey` in the body. 401 `missing_write_key` / `invalid_write_key` otherwise. Ingestion
 * and the push subscription route take it.
 *
 * @example const businessId = await writeKeyBusiness(r, request);
 */
export async function writeKeyBusiness(r: Resources, request: FastifyRequest): Promise<string> {
  let key: string | undefined;
  const header = request.headers.authorization;
  if (header?.startsWith("Basic ")) {
    key = Buffer.from(header.slice(6).trim(), "base64").toString("utf8").split(":")[0];
  } else {
    const body = request.body as { writeKey?: unknown } | null;
    if (typeof body?.writeKey === "string") key = body.writeKey;
  }
  if (!key) {
    throw new JourneysError(
      "unauthenticated",
      "missing_write_key",
      "send the write key as the HTTP Basic user, or as writeKey in the body",
    );
  }
  const found = await authenticateKey(r, key, "write");
  if (!found)
    throw new JourneysError("unauthenticated", "invalid_write_key", "the write key is unknown or revoked");
  return found.businessId;
}
