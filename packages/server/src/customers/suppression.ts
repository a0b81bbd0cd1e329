import { createHash } from "node:crypto";

/**
 * After a GDPR erase we keep only hashes of the person's identifiers, so ingestion and imports
 * can refuse to re-create them silently without storing who they were.
 */
export function identityHashes(
  businessId: string,
  identity: { userId?: string | null; email?: string | null; phone?: string | null },
): string[] {
  const out: string[] = [];
  for (const [kind, value] of Object.entries(identity)) {
    if (typeof value === "string" && value !== "") {
      out.push(
        createHash("sha256").update(`${businessId}\u0000${kind}\u0000${value.toLowerCase()}`).digest("hex"),
      );
    }
  }
  return out;
}
