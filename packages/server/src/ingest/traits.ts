import { normaliseLocale, normaliseTimezone, type ProfilePatch } from "../customers/profile";
import type { IngestMessage } from "./messages";

/** Traits with a place of their own on the profile; the rest become custom attributes. */
const BUILT_IN = new Set(["email", "phone", "timezone", "locale", "subscriptions", "topics", "userId", "id"]);

/**
 * An identify call's traits as a profile patch. Reserved traits: `email`, `phone`,
 * `timezone`, `locale`, `subscriptions` ({channel: status}) and `topics`; the device's
 * `context.timezone` / `context.locale` fill in when the traits do not say.
 */
export function traitsToPatch(message: IngestMessage): ProfilePatch {
  const traits = message.traits;
  const patch: ProfilePatch = { attributes: {} };
  if (traits.email !== undefined) patch.email = traits.email as string | null;
  if (traits.phone !== undefined) patch.phone = traits.phone as string | null;
  // The device's context fills in what the traits do not say — when it makes sense: a device
  // reporting a zone or locale we cannot read is no reason to refuse what the user sent.
  const timezone = traits.timezone ?? fromDevice(message.context?.timezone, normaliseTimezone);
  if (timezone !== undefined) patch.timezone = timezone as string | null;
  const locale = traits.locale ?? fromDevice(message.context?.locale, normaliseLocale);
  if (locale !== undefined) patch.locale = locale as string | null;
  if (traits.subscriptions !== undefined)
    patch.subscriptions = traits.subscriptions as ProfilePatch["subscriptions"];
  if (traits.topics !== undefined) patch.topics = traits.topics as ProfilePatch["topics"];
  for (const [name, value] of Object.entries(traits)) {
    if (!BUILT_IN.has(name)) patch.attributes![name] = value;
  }
  return patch;
}

/** A context value that reads as valid, else undefined (left out of the patch). */
function fromDevice(value: unknown, normalise: (value: unknown) => unknown): unknown {
  if (value === undefined || value === null) return undefined;
  return typeof normalise(value) === "string" ? value : undefined;
}
