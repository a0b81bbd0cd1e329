import { JourneysError, notFound } from "../errors";
import type { Resources } from "../resources";
import type { ProfilePatch } from "./profile";
import { type SavedProfile, saveProfile, withProfileWrites } from "./save-profile";

/**
 * Creates a customer from the management API (see `saveProfile` for every refusal).
 *
 * @example
 *   const { customer } = await createCustomer(r, "bus_…", { email: "ada@example.com" });
 */
export async function createCustomer(
  r: Resources,
  businessId: string,
  patch: ProfilePatch,
): Promise<SavedProfile> {
  // As a CSV row must: a customer nobody can name is one no event, import or message can reach.
  const named =
    [patch.userId, patch.email, patch.phone].some((v) => typeof v === "string" && v.trim() !== "") ||
    !!patch.addresses?.telegram?.chatId ||
    (patch.addresses?.push?.length ?? 0) > 0;
  if (!named)
    throw new JourneysError(
      "bad_request",
      "missing_identity",
      "a customer needs a userId, an email, a phone or a channel address (Telegram chat, push device) to be created",
      {
        fields: [
          { field: "userId", code: "missing_identity", message: "give a userId, an email or a phone" },
        ],
      },
    );
  return withProfileWrites(r, businessId, (w, ctx) => saveProfile(w, ctx, null, patch));
}

/**
 * As `updateCustomer`, for a provider callback or a link about a customer who may have been
 * erased meanwhile: false, and nothing written, when there is no such customer.
 */
export async function updateCustomerIfPresent(
  r: Resources,
  businessId: string,
  customerId: string,
  patch: ProfilePatch,
): Promise<boolean> {
  try {
    await updateCustomer(r, businessId, customerId, patch);
    return true;
  } catch (error) {
    if (error instanceof JourneysError && error.kind === "not_found") return false;
    throw error;
  }
}

/** Applies a patch to an existing customer; 404 when there is none with that id. */
export async function updateCustomer(
  r: Resources,
  businessId: string,
  customerId: string,
  patch: ProfilePatch,
): Promise<SavedProfile> {
  return withProfileWrites(r, businessId, async (w, ctx) => {
    const existing = await w.customerById(customerId);
    if (!existing) throw notFound("customer");
    return saveProfile(w, ctx, existing, patch);
  });
}
