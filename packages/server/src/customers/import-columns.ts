import { CHANNELS, isChannel, parseCondition, toNumber } from "@journeys/core";
import { JourneysError } from "../errors";
import { LIMITS, type ProfilePatch } from "./profile";

/**
 * What an attribute column's cells are stored as. `string` keeps the text (the default);
 * `number` and `boolean` store JSON numbers and booleans; `date` keeps the ISO 8601 text as
 * written — how identify traits carry dates — once the segment evaluator reads it as a date.
 */
export type AttributeType = "string" | "number" | "boolean" | "date";
const ATTRIBUTE_TYPES: readonly AttributeType[] = ["string", "number", "boolean", "date"];

/**
 * Where a CSV column goes on the profile: a built-in field, `attributes.<name>` (optionally
 * typed: `attributes.<name>:<type>`), `subscriptions.<channel>` or `topics.<topic>.<channel>`;
 * null ignores the column.
 */
export type ColumnTarget =
  | { kind: "field"; field: "email" | "phone" | "userId" | "timezone" | "locale" }
  | { kind: "attribute"; name: string; type: AttributeType }
  | { kind: "subscription"; channel: string }
  | { kind: "topic"; topic: string; channel: string };

/** The file's header and, column by column, where each goes (null: ignored). */
export interface ColumnPlan {
  header: readonly string[];
  targets: readonly (ColumnTarget | null)[];
}

/**
 * CSV header → target, as the caller sends it:
 * `{ "E-Mail": "email", "Plan": "attributes.plan", "Age": "attributes.age:number" }`.
 * An attribute target may end in `:string` (the default), `:number`, `:boolean` (true/false,
 * yes/no, y/n, 1/0) or `:date` (ISO 8601: `2024-05-12` or `2024-05-12T09:30:00Z`); a cell
 * that does not read as its type rejects the row, naming the column and the type.
 */
export type ColumnMapping = Record<string, string | null>;

const FIELDS = new Map<string, "email" | "phone" | "userId" | "timezone" | "locale">([
  ["email", "email"],
  ["phone", "phone"],
  ["userid", "userId"],
  ["user_id", "userId"],
  ["timezone", "timezone"],
  ["locale", "locale"],
]);

/**
 * Spellings of yes and no a spreadsheet uses: for `:boolean` attributes and for consent. A Map,
 * so a cell such as "constructor" finds nothing rather than an Object.prototype member.
 */
const YES_NO = new Map<string, boolean>([
  ["true", true],
  ["yes", true],
  ["y", true],
  ["1", true],
  ["false", false],
  ["no", false],
  ["n", false],
  ["0", false],
]);

/**
 * Type names people reach for that are not ours: `attributes.age:int` is refused rather than
 * read as an attribute named "age:int" (a colon may be part of a name: `attributes.utm:source`).
 */
const OTHER_TYPE_NAMES = new Set([
  "int",
  "integer",
  "float",
  "double",
  "decimal",
  "bool",
  "text",
  "str",
  "datetime",
  "timestamp",
]);

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
    const typed = splitType(rest.join("."));
    if (typeof typed === "string") return typed;
    return typed.name.length <= LIMITS.attributeName
      ? { kind: "attribute", ...typed }
      : "the attribute name is too long";
  }
  if (head === "subscriptions" && rest.length === 1 && isChannel(rest[0])) {
    return { kind: "subscription", channel: rest[0] };
  }
  if (head === "topics" && rest.length === 2 && rest[0] && isChannel(rest[1])) {
    return { kind: "topic", topic: rest[0], channel: rest[1] };
  }
  const suffix = target.slice(target.lastIndexOf(":") + 1).toLowerCase();
  if (target.includes(":") && ATTRIBUTE_TYPES.includes(suffix as AttributeType)) {
    return "only attributes.<name> targets take a type";
  }
  return `targets are email, phone, userId, timezone, locale, attributes.<name>[:string|number|boolean|date], subscriptions.<channel> or topics.<topic>.<channel>; channels are ${CHANNELS.join(", ")}`;
}

/** `age:number` → age as a number; `age` and `utm:source` → text; `age:int` → a reason. */
function splitType(text: string): { name: string; type: AttributeType } | string {
  const colon = text.lastIndexOf(":");
  const suffix = text.slice(colon + 1).toLowerCase();
  if (colon >= 0 && ATTRIBUTE_TYPES.includes(suffix as AttributeType)) {
    return { name: text.slice(0, colon), type: suffix as AttributeType };
  }
  if (colon >= 0 && OTHER_TYPE_NAMES.has(suffix)) {
    return `unknown type "${text.slice(colon + 1)}"; types are ${ATTRIBUTE_TYPES.join(", ")}`;
  }
  return { name: text, type: "string" };
}

/**
 * The target of every column of `header`: the mapping's when it names the column, else the
 * column's own name when that is a target (`email`, `subscriptions.sms`, …), else
 * `attributes.<header>` as text. Throws 400 `invalid_mapping` listing every problem.
 */
export function planColumns(header: readonly string[], mapping: ColumnMapping): ColumnPlan {
  const problems: string[] = [];
  const present = new Set(header);
  for (const name of Object.keys(mapping)) {
    if (!present.has(name)) problems.push(`column "${name}" is not in the file's header`);
  }
  const claimed = new Map<string, string>();
  const targets = header.map((column) => {
    const mapped = Object.hasOwn(mapping, column) ? mapping[column] : undefined;
    if (mapped === null || mapped === "") return null;
    let target: ColumnTarget | string;
    if (mapped !== undefined) target = parseTarget(mapped);
    else {
      const own = parseTarget(column.trim());
      target = typeof own === "string" ? { kind: "attribute", name: column.trim(), type: "string" } : own;
    }
    if (typeof target === "string") {
      problems.push(`column "${column}" → "${mapped}": ${target}`);
      return null;
    }
    // Keyed without the type: `attributes.age` and `attributes.age:number` are one attribute.
    const key = describe(target);
    const other = claimed.get(key);
    if (other !== undefined) problems.push(`columns "${other}" and "${column}" both map to ${key}`);
    claimed.set(key, column);
    return target;
  });
  if (problems.length) {
    throw new JourneysError("bad_request", "invalid_mapping", problems.join("; "), { problems });
  }
  return { header, targets };
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

/** A cell that does not read as its column's declared type: the row is rejected with it. */
export interface CellProblem {
  /** invalid_number | invalid_boolean | invalid_date */
  code: string;
  reason: string;
}

/**
 * One row as a profile patch, and the cells that do not read as their column's type (the
 * caller rejects the row when there is any). An empty cell leaves the field as it is (it does
 * not clear it); attribute values are converted to their column's type.
 */
export function rowToPatch(
  plan: ColumnPlan,
  fields: readonly string[],
): { patch: ProfilePatch; problems: CellProblem[] } {
  const patch: ProfilePatch = {};
  const problems: CellProblem[] = [];
  plan.targets.forEach((target, i) => {
    const value = fields[i]?.trim() ?? "";
    if (target === null || value === "") return;
    switch (target.kind) {
      case "field":
        patch[target.field] = value;
        break;
      case "attribute": {
        const typed = readCell(value, target.type);
        if (typed === undefined) {
          problems.push({
            code: `invalid_${target.type}`,
            reason: `column "${plan.header[i]}": ${JSON.stringify(value)} is not ${EXPECTED[target.type]}`,
          });
        } else patch.attributes = { ...patch.attributes, [target.name]: typed };
        break;
      }
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
  return { patch, problems };
}

const EXPECTED: Record<AttributeType, string> = {
  string: "text",
  number: "a number (e.g. 42 or -1.5)",
  boolean: "a boolean (true/false, yes/no, y/n or 1/0)",
  date: "an ISO 8601 date (e.g. 2024-05-12 or 2024-05-12T09:30:00Z)",
};

/** A non-empty cell as `type`, or undefined when it does not read as one. */
function readCell(value: string, type: AttributeType): string | number | boolean | undefined {
  switch (type) {
    case "string":
      return value;
    case "number":
      // The evaluator's own reading of numeric text, so `age gte 18` means what it says.
      return toNumber(value) ?? undefined;
    case "boolean":
      return YES_NO.get(value.toLowerCase());
    case "date":
      // Kept as written, like a date trait from identify: the evaluator reads the calendar day
      // as written (birthdays). Valid exactly when a rule could compare it as a date.
      return parseCondition({ attribute: "value", op: "before", value }).ok ? value : undefined;
  }
}

const consent = (value: string) => {
  const yes = YES_NO.get(value.toLowerCase());
  return yes === undefined ? value.toLowerCase() : yes ? "subscribed" : "unsubscribed";
};
