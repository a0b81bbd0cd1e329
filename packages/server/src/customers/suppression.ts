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
      // Emails are compared case-insensitively everywhere; userIds are the business's own
      // case-sensitive ids (and phones are E.164 digits).
      const key = kind === "email" ? value.toLowerCase() : value;
      out.push(createHash("sha256").update(`${businessId}\u0000${kind}\u0000${key}`).digest("hex"));
    }
  }
  return out;
}
