/**
 * Parsing untrusted JSON (an API body, an AI generator's output) into a `JourneyDefinition`.
 * Parsing checks shape only: that every field has the right type and every enum string is known.
 * Whether referenced segments, templates and nodes exist is `validateForActivation`'s job, so a
 * half-built draft still parses and can be saved.
 *
 * @example
 *   const parsed = parseDefinition(JSON.parse(body));
 *   if (!parsed.ok) return reply(422, parsed.error); // [{ path: "$.nodes.w.unit", code, message }]
 */
import { err, ok, type Result } from "../result";
import {
  DELAY_UNITS,
  isNodeId,
  JOURNEY_SCHEMA_VERSION,
  type JourneyDefinition,
  type JourneyNode,
  MESSAGE_CHANNELS,
  type MessageChannel,
  NODE_TYPES,
  TRIGGER_TYPES,
  TRIGGER_WHERE_OPS,
  type Trigger,
  type TriggerWhere,
} from "./definition";

/** Stable codes for shape problems. Never renamed: clients match on them. */
export type DefinitionProblemCode =
  | "invalid_type"
  | "required"
  | "invalid_value"
  | "invalid_node_id"
  | "unsupported_schema_version";

/** One thing wrong with the JSON, at a JSON path such as `$.nodes.welcome.channel`. */
export interface DefinitionProblem {
  path: string;
  code: DefinitionProblemCode;
  message: string;
}

type Json = Record<string, unknown>;

/** Collects problems while walking; each reader returns undefined when its value is unusable. */
class Reader {
  readonly problems: DefinitionProblem[] = [];

  problem(path: string, code: DefinitionProblemCode, message: string): undefined {
    this.problems.push({ path, code, message });
    return undefined;
  }

  object(value: unknown, path: string): Json | undefined {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Json;
    return this.problem(path, "invalid_type", `Expected an object, got ${describe(value)}.`);
  }

  field(obj: Json, key: string, path: string): unknown {
    if (!Object.hasOwn(obj, key) || obj[key] === undefined) {
      return this.problem(join(path, key), "required", `"${key}" is required.`);
    }
    return obj[key];
  }

  string(obj: Json, key: string, path: string, nonEmpty = false): string | undefined {
    const value = this.field(obj, key, path);
    if (value === undefined) return undefined;
    if (typeof value !== "string") {
      return this.problem(join(path, key), "invalid_type", `Expected a string, got ${describe(value)}.`);
    }
    if (nonEmpty && value.trim() === "") {
      return this.problem(join(path, key), "invalid_value", `"${key}" must not be empty.`);
    }
    return value;
  }

  oneOf<T extends string>(obj: Json, key: string, path: string, allowed: readonly T[]): T | undefined {
    const value = this.field(obj, key, path);
    if (value === undefined) return undefined;
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
    return this.problem(
      join(path, key),
      "invalid_value",
      `Expected one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${describe(value)}.`,
    );
  }

  /** A node reference: a node id, or null to end the path. */
  target(obj: Json, key: string, path: string): string | null | undefined {
    const value = this.field(obj, key, path);
    if (value === undefined || value === null) return value as null | undefined;
    if (isNodeId(value)) return value;
    return this.problem(
      join(path, key),
      "invalid_node_id",
      `Expected a node id (1–64 of A–Z a–z 0–9 _ -) or null, got ${describe(value)}.`,
    );
  }
}

/**
 * Checks untrusted JSON against the current wire format and returns a clean definition holding
 * only the known fields, or every shape problem at once. An absent `schemaVersion` means the
 * current one (the §5 API body does not carry it); stored data goes through `migrateDefinition`.
 *
 * @example parseDefinition({ trigger: { type: "form", formId: "frm_1" }, start: "a", nodes: {} })
 */
export function parseDefinition(input: unknown): Result<JourneyDefinition, DefinitionProblem[]> {
  const r = new Reader();
  const root = r.object(input, "$");
  if (!root) return err(r.problems);

  const version = root.schemaVersion;
  if (version !== undefined && version !== JOURNEY_SCHEMA_VERSION) {
    r.problem(
      "$.schemaVersion",
      "unsupported_schema_version",
      `This server reads journey schema version ${JOURNEY_SCHEMA_VERSION}, got ${describe(version)}.`,
    );
  }
  const trigger = readTrigger(r, r.field(root, "trigger", "$"), "$.trigger");
  const start = r.field(root, "start", "$");
  if (start !== undefined && !isNodeId(start)) {
    r.problem("$.start", "invalid_node_id", `Expected a node id, got ${describe(start)}.`);
  }
  const nodes = readNodes(r, r.field(root, "nodes", "$"), "$.nodes");

  if (r.problems.length > 0 || !trigger || !nodes || !isNodeId(start)) return err(r.problems);
  return ok({ schemaVersion: JOURNEY_SCHEMA_VERSION, trigger, start, nodes });
}

function readTrigger(r: Reader, value: unknown, path: string): Trigger | undefined {
  if (value === undefined) return undefined;
  const obj = r.object(value, path);
  if (!obj) return undefined;
  const type = r.oneOf(obj, "type", path, TRIGGER_TYPES);
  if (type === "segment") {
    const segmentId = r.string(obj, "segmentId", path);
    return segmentId === undefined ? undefined : { type, segmentId };
  }
  if (type === "form") {
    const formId = r.string(obj, "formId", path);
    return formId === undefined ? undefined : { type, formId };
  }
  if (type === "event") {
    const event = r.string(obj, "event", path, true);
    if (!Object.hasOwn(obj, "where") || obj.where === undefined) {
      return event === undefined ? undefined : { type, event };
    }
    const where = readWhere(r, obj.where, join(path, "where"));
    return event === undefined || where === undefined ? undefined : { type, event, where };
  }
  return undefined;
}

function readWhere(r: Reader, value: unknown, path: string): TriggerWhere[] | undefined {
  if (!Array.isArray(value)) {
    return r.problem(path, "invalid_type", `Expected an array, got ${describe(value)}.`);
  }
  const out = value.map((item, i) => readWhereItem(r, item, `${path}[${i}]`));
  return out.every((w) => w !== undefined) ? (out as TriggerWhere[]) : undefined;
}

function readWhereItem(r: Reader, item: unknown, path: string): TriggerWhere | undefined {
  const obj = r.object(item, path);
  if (!obj) return undefined;
  const property = r.string(obj, "property", path, true);
  const op = r.oneOf(obj, "op", path, TRIGGER_WHERE_OPS);
  if (op === undefined) return undefined;
  if (op === "exists" || op === "notExists") return property === undefined ? undefined : { property, op };
  const value = r.field(obj, "value", path);
  if (property === undefined || value === undefined) return undefined;
  const wrong = (expected: string) =>
    r.problem(join(path, "value"), "invalid_type", `"${op}" needs ${expected}, got ${describe(value)}.`);
  switch (op) {
    case "in":
      return Array.isArray(value) && value.every(isScalar)
        ? { property, op, value }
        : wrong("an array of strings, numbers or booleans");
    case "startsWith":
      return typeof value === "string" ? { property, op, value } : wrong("a string");
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      return typeof value === "string" || isFiniteNumber(value)
        ? { property, op, value }
        : wrong("a number or a date string");
    default:
      return isScalar(value) ? { property, op, value } : wrong("a string, number or boolean");
  }
}

function readNodes(r: Reader, value: unknown, path: string): Record<string, JourneyNode> | undefined {
  if (value === undefined) return undefined;
  const obj = r.object(value, path);
  if (!obj) return undefined;
  const entries: [string, JourneyNode][] = [];
  let clean = true;
  for (const [id, raw] of Object.entries(obj)) {
    const at = join(path, id);
    if (!isNodeId(id)) {
      r.problem(at, "invalid_node_id", `Node id ${JSON.stringify(id)} must be 1–64 of A–Z a–z 0–9 _ -.`);
    }
    const node = readNode(r, raw, at);
    if (node && isNodeId(id)) entries.push([id, node]);
    else clean = false;
  }
  // fromEntries defines own properties, so an id such as "__proto__" stays an ordinary key.
  return clean ? Object.fromEntries(entries) : undefined;
}

function readNode(r: Reader, value: unknown, path: string): JourneyNode | undefined {
  const obj = r.object(value, path);
  if (!obj) return undefined;
  const type = r.oneOf(obj, "type", path, NODE_TYPES);
  if (type === "message") {
    const channel = r.oneOf(obj, "channel", path, MESSAGE_CHANNELS);
    const templateId = r.string(obj, "templateId", path);
    const next = r.target(obj, "next", path);
    const fallback = readFallback(r, obj, path, channel);
    if (channel === undefined || templateId === undefined || next === undefined || fallback === null)
      return undefined;
    return { type, channel, templateId, ...fallback, next };
  }
  if (type === "delay") {
    const amount = r.field(obj, "amount", path);
    // Only the type is checked here; "a positive integer" is an activation rule (`bad_delay`).
    if (amount !== undefined && !isFiniteNumber(amount)) {
      r.problem(join(path, "amount"), "invalid_type", `Expected a number, got ${describe(amount)}.`);
    }
    const unit = r.oneOf(obj, "unit", path, DELAY_UNITS);
    const next = r.target(obj, "next", path);
    if (!isFiniteNumber(amount) || unit === undefined || next === undefined) return undefined;
    return { type, amount, unit, next };
  }
  if (type === "split") {
    const segmentId = r.string(obj, "segmentId", path);
    const onTrue = r.target(obj, "true", path);
    const onFalse = r.target(obj, "false", path);
    if (segmentId === undefined || onTrue === undefined || onFalse === undefined) return undefined;
    return { type, segmentId, true: onTrue, false: onFalse };
  }
  return undefined;
}

/**
 * `fallback` (distinct channels, not the node's own, at most 4) and `fallbackTemplates`
 * (template ids by channel); null when either is malformed, {} when absent. Whether each
 * fallback channel has its template is an activation rule (`fallback_template_missing`).
 */
function readFallback(
  r: Reader,
  obj: Json,
  path: string,
  own: MessageChannel | undefined,
): { fallback?: MessageChannel[]; fallbackTemplates?: Partial<Record<MessageChannel, string>> } | null {
  const out: { fallback?: MessageChannel[]; fallbackTemplates?: Partial<Record<MessageChannel, string>> } =
    {};
  let ok = true;
  if (obj.fallback !== undefined) {
    const at = join(path, "fallback");
    const list = obj.fallback;
    if (!Array.isArray(list) || list.length > 4) {
      r.problem(at, "invalid_type", `Expected a list of at most 4 channels, got ${describe(list)}.`);
      ok = false;
    } else {
      const seen = new Set<string>();
      for (const [i, channel] of list.entries()) {
        if (!(MESSAGE_CHANNELS as readonly unknown[]).includes(channel)) {
          r.problem(
            `${at}[${i}]`,
            "invalid_value",
            `Expected one of ${MESSAGE_CHANNELS.map((c) => `"${c}"`).join(", ")}, got ${describe(channel)}.`,
          );
          ok = false;
        } else if (channel === own || seen.has(channel as string)) {
          r.problem(`${at}[${i}]`, "invalid_value", `"${channel}" is already tried before in this step.`);
          ok = false;
        }
        seen.add(channel as string);
      }
      if (ok) out.fallback = list as MessageChannel[];
    }
  }
  if (obj.fallbackTemplates !== undefined) {
    const at = join(path, "fallbackTemplates");
    const map = r.object(obj.fallbackTemplates, at);
    if (!map) ok = false;
    else {
      const templates: Partial<Record<MessageChannel, string>> = {};
      for (const [channel, id] of Object.entries(map)) {
        if (!(MESSAGE_CHANNELS as readonly string[]).includes(channel)) {
          r.problem(join(at, channel), "invalid_value", `"${channel}" is not a channel.`);
          ok = false;
        } else if (typeof id !== "string" || id === "") {
          r.problem(join(at, channel), "invalid_type", `Expected a template id, got ${describe(id)}.`);
          ok = false;
        } else templates[channel as MessageChannel] = id;
      }
      if (ok) out.fallbackTemplates = templates;
    }
  }
  return ok ? out : null;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "boolean" || isFiniteNumber(value);
}

/** `$.nodes.welcome`, or `$.nodes["a b"]` when the key is not a plain identifier. */
function join(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
