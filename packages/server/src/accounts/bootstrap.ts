import type { Resources } from "../resources";
import { createApiKey } from "./api-keys";
import { createBusiness } from "./businesses";
import { addMembership, createUser, generatePassword } from "./users";

/** What `journeys admin create-business --json` prints; keys and password are shown only here. */
export interface BusinessCredentials {
  businessId: string;
  apiKey: string;
  writeKey: string;
  ownerEmail: string;
  ownerPassword: string;
}

/**
 * A business ready to use: its owner (with a generated password unless one is given),
 * a secret API key and a write key. One transaction, so a failure leaves nothing half made.
 */
export async function createBusinessWithOwner(
  r: Resources,
  input: { name: string; plan: string; ownerEmail: string; ownerPassword?: string },
): Promise<BusinessCredentials> {
  const ownerPassword = input.ownerPassword ?? generatePassword();
  return r.store.db.transaction().execute(async (trx) => {
    const tr: Resources = { ...r, store: { ...r.store, db: trx } };
    const business = await createBusiness(tr, { name: input.name, plan: input.plan });
    const owner = await createUser(tr, { email: input.ownerEmail, password: ownerPassword });
    await addMembership(tr, business.id, owner.id, "owner");
    const secret = await createApiKey(tr, business.id, { kind: "secret", name: "Default secret key" });
    const write = await createApiKey(tr, business.id, { kind: "write", name: "Default write key" });
    return {
      businessId: business.id,
      apiKey: secret.key,
      writeKey: write.key,
      ownerEmail: owner.email,
      ownerPassword,
    };
  });
}
