import { CHANNELS, isChannel } from "@journeys/core";
import { JourneysError } from "../errors";
import { LIMITS, type ProfilePatch } from "./profile";

/**
 * Where a CSV column goes on the profile: a built-in field, `attributes.<name>`,
 * `subscriptions.<channel>` or `topics.<topic>.<channel>`; null ignores the column.
 */
export type ColumnTarget =
  | { kind: "field"; field: "email" | "phone" | "userId" | "timezone" | "locale" }
  | { kind: "attribute"; name: string }
  | { kind: "subscription"; channel: string }
  | { kind: "topic"; topic: string; channel: string };

/** CSV header → target, as the caller sends it: `{ "E-Mail": "email", "Plan": "attributes.plan" }`. */
export type ColumnMapping = Record<string, string | null>;

const FIELDS = new Map<string, "email" | "phone" | "userId" | "timezone" | "locale">([
  ["email", "email"],
  ["phone", "phone"],
  ["userid", "userId"],
  ["user_id", "userId"],
  ["timezone", "timezone"],
  ["locale", "locale"],
]);

/** Spellings of consent a spreadsheet uses, mapped to subscription statuses. */
const CONSENT: Record<string, string> = {
  true: "subscribed",
  yes: "subscribed",
  y: "subscribed",
  "1": "subscribed",
  false: "unsubscribed",
  no: "unsubscribed",
  n: "unsubscribed",
  "0": "unsubscribed",
};

/** Parses the `mapping` option (a JSON object of strings or nulls). */
export function parseMapping(raw: string | undefined): ColumnMapping {
  if (raw === undefined || raw === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new JourneysError("bad_request", "invalid_mapping", "mapping is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new JourneysError(
      "bad_request",
      "invalid_mapping",
      'mapping must be a JSON object: { "CSV header": "target" }',
    );
  }
  for (const [header, target] of Object.entries(value)) {
    if (target !== null && typeof target !== "string") {
      throw new JourneysError(
        "bad_request",
        "invalid_mapping",
        `mapping of "${header}" must be a string or null`,
      );
    }
  }
  return value as ColumnMapping;
}

/** What a target string names, or a reason it names nothing. */
function parseTarget(target: string): ColumnTarget | string {
  const field = FIELDS.get(target.toLowerCase());
  if (field) return { kind: "field", field };
  const [head, ...rest] = target.split(".");
  if (head === "attributes" && rest.length > 0) {
    const name = rest.join(".");
    return name.length <= LIMITS.attributeName
      ? { kind: "attribute", name }
      : "the attribute name is too long";
  }
  if (head === "subscriptions" && rest.length === 1 && isChannel(rest[0])) {
    return { kind: "subscription", channel: rest[0] };
  }
  if (head === "topics" && rest.length === 2 && rest[0] && isChannel(rest[1])) {
    return { kind: "topic", topic: rest[0], channel: rest[1] };
  }
  return `targets are email, phone, userId, timezone, locale, attributes.<name>, subscriptions.<channel> or topics.<topic>.<channel>; channels are ${CHANNELS.join(", ")}`;
}

/**
 * The target of every column of `header`: the mapping's when it names the column, else the
 * column's own name when that is a target (`email`, `subscriptions.sms`, …), else
 * `attributes.<header>`. Throws 400 `invalid_mapping` listing every problem.
 */
export function planColumns(header: readonly string[], mapping: ColumnMapping): (ColumnTarget | null)[] {
  const problems: string[] = [];
  const present = new Set(header);
  for (const name of Object.keys(mapping)) {
    if (!present.has(name)) problems.push(`column "${name}" is not in the file's header`);
  }
  const claimed = new Map<string, string>();
  const plan = header.map((column) => {
    const mapped = Object.hasOwn(mapping, column) ? mapping[column] : undefined;
    if (mapped === null || mapped === "") return null;
    let target: ColumnTarget | string;
    if (mapped !== undefined) target = parseTarget(mapped);
    else {
      const own = parseTarget(column.trim());
      target = typeof own === "string" ? { kind: "attribute", name: column.trim() } : own;
    }
    if (typeof target === "string") {
      problems.push(`column "${column}" → "${mapped}": ${target}`);
      return null;
    }
    const key = JSON.stringify(target);
    const other = claimed.get(key);
    if (other !== undefined)
      problems.push(`columns "${other}" and "${column}" both map to ${describe(target)}`);
    claimed.set(key, column);
    return target;
  });
  if (problems.length) {
    throw new JourneysError("bad_request", "invalid_mapping", problems.join("; "), { problems });
  }
  return plan;
}

function describe(target: ColumnTarget): string {
  switch (target.kind) {
    case "field":
      return target.field;
    case "attribute":
      return `attributes.${target.name}`;
    case "subscription":
      return `subscriptions.${target.channel}`;
    case "topic":
      return `topics.${target.topic}.${target.channel}`;
  }
}

/**
 * One row as a profile patch. An empty cell leaves the field as it is (it does not clear
 * it); attribute values stay the strings the file holds.
 */
export function rowToPatch(plan: readonly (ColumnTarget | null)[], fields: readonly string[]): ProfilePatch {
  const patch: ProfilePatch = {};
  plan.forEach((target, i) => {
    const value = fields[i]?.trim() ?? "";
    if (target === null || value === "") return;
    switch (target.kind) {
      case "field":
        patch[target.field] = value;
        break;
      case "attribute":
        patch.attributes = { ...patch.attributes, [target.name]: value };
        break;
      case "subscription":
        patch.subscriptions = { ...patch.subscriptions, [target.channel]: consent(value) };
        break;
      case "topic":
        patch.topics = {
          ...patch.topics,
          [target.topic]: { ...patch.topics?.[target.topic], [target.channel]: consent(value) },
        };
        break;
    }
  });
  return patch;
}

const consent = (value: string) => CONSENT[value.toLowerCase()] ?? value.toLowerCase();
