import { type Channel, isChannel, jsonShapeProblem, type SubscriptionStatus } from "@journeys/core";
import { parsePhoneNumberWithError } from "libphonenumber-js";
import type { Customer, CustomerAddresses } from "./customer";

/**
 * A change to a customer's profile, from an identify call, the API or a CSV row. Absent fields
 * stay as they are; `null` clears a field or an attribute.
 */
export interface ProfilePatch {
  userId?: string | null;
  email?: string | null;
  phone?: string | null;
  timezone?: string | null;
  locale?: string | null;
  attributes?: Record<string, unknown>;
  subscriptions?: Partial<Record<string, unknown>>;
  topics?: Record<string, Partial<Record<string, unknown>>>;
  addresses?: CustomerAddresses;
}

export interface ProfileProblem {
  field: string;
  code: string;
  message: string;
}

/** What a patch changed, in the words segment dependencies use. */
export interface ProfileChange {
  attributes: Set<string>;
  subscriptions: Set<Channel>;
}

export const LIMITS = {
  attributes: 300,
  attributeName: 128,
  /** The serialized attributes of one customer. */
  attributesBytes: 32_768,
  /** Levels of nesting in `attributes`, the object itself counted (as traits are at ingestion). */
  attributesDepth: 32,
  idLength: 256,
};

const STATUSES = new Set<SubscriptionStatus>(["subscribed", "unsubscribed", "unknown"]);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(value: unknown): string | ProfileProblem {
  if (typeof value !== "string" || !EMAIL.test(value.trim()) || value.length > 320) {
    return {
      field: "email",
      code: "invalid_email",
      message: `email ${JSON.stringify(value)} is not an email address`,
    };
  }
  return value.trim().toLowerCase();
}

/** E.164, e.g. "+4915112345678". Numbers without a country code are refused, not guessed. */
export function normalisePhone(value: unknown): string | ProfileProblem {
  const problem = {
    field: "phone",
    code: "invalid_phone",
    message: `phone ${JSON.stringify(value)} is not a valid international number (E.164, e.g. +4915112345678)`,
  };
  if (typeof value !== "string" && typeof value !== "number") return problem;
  try {
    const parsed = parsePhoneNumberWithError(String(value).trim());
    return parsed.isValid() ? parsed.number : problem;
  } catch {
    return problem;
  }
}

export function normaliseTimezone(value: unknown): string | ProfileProblem {
  const problem = {
    field: "timezone",
    code: "invalid_timezone",
    message: `timezone ${JSON.stringify(value)} is not an IANA time zone`,
  };
  if (typeof value !== "string" || value.length > 64) return problem;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return problem;
  }
}

export function normaliseLocale(value: unknown): string | ProfileProblem {
  const problem = {
    field: "locale",
    code: "invalid_locale",
    message: `locale ${JSON.stringify(value)} is not a BCP 47 tag`,
  };
  if (typeof value !== "string") return problem;
  try {
    return Intl.getCanonicalLocales(value.replace("_", "-"))[0] ?? problem;
  } catch {
    return problem;
  }
}

const isProblem = (value: unknown): value is ProfileProblem =>
  typeof value === "object" && value !== null && "code" in value && "field" in value;

/**
 * Applies `patch` to `customer`: every field is validated and normalised; all problems are
 * returned together and nothing is applied when there is any.
 */
export function applyProfilePatch(
  customer: Customer,
  patch: ProfilePatch,
  now: number,
): { customer: Customer; change: ProfileChange } | { problems: ProfileProblem[] } {
  const problems: ProfileProblem[] = [];
  const next: Customer = {
    ...customer,
    attributes: { ...customer.attributes },
    subscriptions: { ...customer.subscriptions },
    topics: { ...customer.topics },
  };
  const change: ProfileChange = { attributes: new Set(), subscriptions: new Set() };

  const builtIn = <K extends "email" | "phone" | "timezone" | "locale" | "userId">(
    key: K,
    normalise: (value: unknown) => string | ProfileProblem,
  ) => {
    const raw = patch[key];
    if (raw === undefined) return;
    const value = raw === null || raw === "" ? null : normalise(raw);
    if (isProblem(value)) return problems.push(value);
    if (next[key] !== value) {
      next[key] = value;
      change.attributes.add(key);
    }
  };
  builtIn("userId", (v) =>
    typeof v === "string" && v.length <= LIMITS.idLength
      ? v
      : {
          field: "userId",
          code: "invalid_user_id",
          message: `userId must be a string of at most ${LIMITS.idLength} characters`,
        },
  );
  builtIn("email", normaliseEmail);
  builtIn("phone", normalisePhone);
  builtIn("timezone", normaliseTimezone);
  builtIn("locale", normaliseLocale);

  // First, before anything serialises them: too deep, they would break queries (SQLite's JSON
  // functions refuse documents nested over 1,000 levels) and overflow JSON.stringify.
  const shape = jsonShapeProblem(patch.attributes ?? {}, {
    maxDepth: LIMITS.attributesDepth,
    path: "attributes",
  });
  if (shape) return { problems: [{ field: shape.path, code: shape.code, message: shape.message }] };
  for (const [name, value] of Object.entries(patch.attributes ?? {})) {
    if (name.length === 0 || name.length > LIMITS.attributeName) {
      problems.push({
        field: `attributes.${name}`,
        code: "invalid_attribute_name",
        message: `attribute names are 1–${LIMITS.attributeName} characters`,
      });
      continue;
    }
    const before = Object.hasOwn(next.attributes, name) ? next.attributes[name] : undefined;
    if (value === null || value === undefined) {
      if (before !== undefined) {
        delete next.attributes[name];
        change.attributes.add(name);
      }
    } else if (JSON.stringify(before) !== JSON.stringify(value)) {
      next.attributes[name] = value;
      change.attributes.add(name);
    }
  }
  if (Object.keys(next.attributes).length > LIMITS.attributes) {
    problems.push({
      field: "attributes",
      code: "too_many_attributes",
      message: `a customer has at most ${LIMITS.attributes} attributes`,
    });
  } else if (
    change.attributes.size &&
    Buffer.byteLength(JSON.stringify(next.attributes)) > LIMITS.attributesBytes
  ) {
    problems.push({
      field: "attributes",
      code: "attributes_too_large",
      message: `a customer's attributes are at most ${LIMITS.attributesBytes} bytes as JSON`,
    });
  }

  for (const [channel, status] of Object.entries(patch.subscriptions ?? {})) {
    const checked = checkStatus(`subscriptions.${channel}`, channel, status, problems);
    if (checked && next.subscriptions[checked.channel] !== checked.status) {
      next.subscriptions[checked.channel] = checked.status;
      change.subscriptions.add(checked.channel);
    }
  }
  for (const [topic, channels] of Object.entries(patch.topics ?? {})) {
    const current = { ...next.topics[topic] };
    for (const [channel, status] of Object.entries(channels ?? {})) {
      const checked = checkStatus(`topics.${topic}.${channel}`, channel, status, problems);
      if (checked) current[checked.channel] = checked.status;
    }
    next.topics[topic] = current;
  }
  if (patch.addresses) next.addresses = { ...next.addresses, ...patch.addresses };

  if (problems.length) return { problems };
  if (change.attributes.size || change.subscriptions.size || patch.topics || patch.addresses)
    next.updatedAt = now;
  return { customer: next, change };
}

function checkStatus(
  field: string,
  channel: string,
  status: unknown,
  problems: ProfileProblem[],
): { channel: Channel; status: SubscriptionStatus } | null {
  if (!isChannel(channel)) {
    problems.push({
      field,
      code: "unknown_channel",
      message: `unknown channel "${channel}"; channels are email, sms, whatsapp, telegram, push`,
    });
    return null;
  }
  if (typeof status !== "string" || !STATUSES.has(status as SubscriptionStatus)) {
    problems.push({
      field,
      code: "invalid_subscription",
      message: `${field} must be "subscribed", "unsubscribed" or "unknown"`,
    });
    return null;
  }
  return { channel, status: status as SubscriptionStatus };
}

/** A customer with nothing known yet. */
export function blankCustomer(id: string, now: number): Customer {
  return {
    id,
    userId: null,
    email: null,
    phone: null,
    timezone: null,
    locale: null,
    attributes: {},
    subscriptions: {},
    topics: {},
    addresses: {},
    createdAt: now,
    updatedAt: now,
  };
}
