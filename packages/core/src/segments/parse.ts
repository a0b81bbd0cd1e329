/**
 * Untrusted JSON → `Condition`. Rules come from the UI, the public API and the AI generator,
 * so every problem is reported at once, each with a JSON path, a stable code and a message a
 * marketer can act on. Unknown fields are refused rather than ignored: a typo such as
 * `withinDay` would otherwise silently widen a segment. `value: null` is tolerated on ops that
 * take no value (UIs keep the field around when the op changes).
 *
 * @example
 *   const parsed = parseCondition(body.rule);
 *   if (!parsed.ok) return badRequest(parsed.error); // [{ path: "rule.all[2].op", code: "unknown_op", … }]
 *   const rule: Condition = parsed.value;
 */
import { err, ok, type Result } from "../result";
import {
  ATTRIBUTE_OPS,
  CHANNELS,
  type Condition,
  EVENT_OPS,
  type EventOp,
  isChannel,
  type ValueTest,
  WHERE_OPS,
  type WhereFilter,
} from "./condition";
import { isPositiveNumber, MAX_WINDOW_DAYS, parseValueTest } from "./parse-value";
import type { ConditionProblem, ConditionProblemCode } from "./problems";

export interface ParseOptions {
  /** The JSON path of the input, prefixed to every problem's path. Default "rule". */
  path?: string;
  /** Deepest nesting allowed; the root is depth 1. Default 10. */
  maxDepth?: number;
  /** Most conditions (and `where` filters) in one rule. Default 200. */
  maxConditions?: number;
}

export const MAX_CONDITION_DEPTH = 10;
export const MAX_CONDITIONS = 200;

const KINDS = ["all", "any", "not", "attribute", "event", "subscribed", "inSegment"] as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Validates untrusted JSON as a segment rule, returning every problem found. */
export function parseCondition(
  input: unknown,
  options: ParseOptions = {},
): Result<Condition, ConditionProblem[]> {
  const maxDepth = options.maxDepth ?? MAX_CONDITION_DEPTH;
  const maxConditions = options.maxConditions ?? MAX_CONDITIONS;
  const problems: ConditionProblem[] = [];
  let seen = 0;
  const report = (path: string, code: ConditionProblemCode, message: string) => {
    problems.push({ path, code, message });
  };

  /** Counts one node; false once the rule is over the limit (reported once, at the first excess). */
  const admit = (path: string): boolean => {
    seen += 1;
    if (seen === maxConditions + 1) {
      report(path, "too_many_conditions", `A rule may hold at most ${maxConditions} conditions.`);
    }
    return seen <= maxConditions;
  };

  const refuseUnknownFields = (node: Json, path: string, allowed: readonly string[]) => {
    for (const key of Object.keys(node)) {
      if (!allowed.includes(key)) report(`${path}.${key}`, "unknown_field", `Unknown field "${key}".`);
    }
  };

  const requireString = (node: Json, key: string, path: string, what: string): string | null => {
    const value = node[key];
    if (value === undefined) report(`${path}.${key}`, "missing_field", `Name the ${what}.`);
    else if (typeof value !== "string" || value.trim() === "") {
      report(`${path}.${key}`, "bad_field", `The ${what} must be a non-empty string.`);
    } else return value;
    return null;
  };

  const requireOp = <Op extends string>(node: Json, path: string, ops: readonly Op[], extra = "") => {
    const op = node.op;
    if (op === undefined) {
      report(`${path}.op`, "missing_field", `Choose an op: ${ops.join(", ")}.`);
      return null;
    }
    if (typeof op !== "string" || !(ops as readonly string[]).includes(op)) {
      report(
        `${path}.op`,
        "unknown_op",
        `Unknown op ${JSON.stringify(op)}${extra}; use one of ${ops.join(", ")}.`,
      );
      return null;
    }
    return op as Op;
  };

  const valueTest = (node: Json, path: string, op: string): ValueTest | null => {
    const test = parseValueTest(op as ValueTest["op"], node.value, `${path}.value`);
    for (const problem of test.ok ? [] : test.error) problems.push(problem);
    return test.ok ? test.value : null;
  };

  const whereFilter = (input: unknown, path: string): WhereFilter | null => {
    if (!admit(path)) return null;
    if (!isObject(input)) {
      report(path, "not_an_object", "A where filter must be an object { property, op, value }.");
      return null;
    }
    refuseUnknownFields(input, path, ["property", "op", "value"]);
    const property = requireString(input, "property", path, "event property");
    // A date op is a valid attribute op; say why it is refused here.
    const attributeOp =
      typeof input.op === "string" && (ATTRIBUTE_OPS as readonly string[]).includes(input.op);
    const op = requireOp(input, path, WHERE_OPS, attributeOp ? " for an event property" : "");
    const test = op === null ? null : valueTest(input, path, op);
    return property === null || test === null ? null : ({ property, ...test } as WhereFilter);
  };

  const event = (node: Json, path: string): Condition | null => {
    refuseUnknownFields(node, path, ["event", "op", "count", "withinDays", "where"]);
    const name = requireString(node, "event", path, "event");
    const op = requireOp<EventOp>(node, path, EVENT_OPS);
    const count = node.count;
    let countOk = false;
    if (count === undefined) report(`${path}.count`, "missing_field", "Give a count (0 or more).");
    else if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
      report(`${path}.count`, "bad_field", "The count must be a whole number, 0 or more.");
    } else countOk = true;
    const { withinDays } = node;
    let withinOk = true;
    if (
      withinDays !== undefined &&
      withinDays !== null &&
      !(isPositiveNumber(withinDays) && withinDays <= MAX_WINDOW_DAYS)
    ) {
      report(
        `${path}.withinDays`,
        "bad_field",
        `withinDays must be a positive number of days, at most ${MAX_WINDOW_DAYS} (100 years); leave it out for "ever".`,
      );
      withinOk = false;
    }
    let where: WhereFilter[] | undefined;
    let whereOk = true;
    if (node.where !== undefined && node.where !== null) {
      if (!Array.isArray(node.where)) {
        report(`${path}.where`, "bad_field", "where must be a list of { property, op, value } filters.");
        whereOk = false;
      } else {
        const filters = node.where.map((f, i) => whereFilter(f, `${path}.where[${i}]`));
        whereOk = filters.every((f) => f !== null);
        where = filters.filter((f) => f !== null);
      }
    }
    if (name === null || op === null || !countOk || !withinOk || !whereOk) return null;
    return {
      event: name,
      op,
      count: count as number,
      ...(isPositiveNumber(withinDays) ? { withinDays } : {}),
      ...(where ? { where } : {}),
    };
  };

  const condition = (input: unknown, path: string, depth: number): Condition | null => {
    if (!admit(path)) return null;
    if (depth > maxDepth) {
      report(path, "too_deep", `Conditions may nest at most ${maxDepth} levels deep.`);
      return null;
    }
    if (!isObject(input)) {
      report(path, "not_an_object", "A condition must be an object.");
      return null;
    }
    const kinds = KINDS.filter((kind) => Object.hasOwn(input, kind));
    const [kind] = kinds;
    if (kind === undefined) {
      report(path, "unknown_condition", `A condition needs one of: ${KINDS.join(", ")}.`);
      return null;
    }
    if (kinds.length > 1) {
      report(path, "ambiguous_condition", `A condition has exactly one of ${kinds.join(", ")}, not several.`);
      return null;
    }
    switch (kind) {
      case "all":
      case "any": {
        refuseUnknownFields(input, path, [kind]);
        const list = input[kind];
        if (!Array.isArray(list)) {
          report(`${path}.${kind}`, "bad_field", `"${kind}" must be a list of conditions.`);
          return null;
        }
        const children = list.map((c, i) => condition(c, `${path}.${kind}[${i}]`, depth + 1));
        if (!children.every((c) => c !== null)) return null;
        return kind === "all" ? { all: children } : { any: children };
      }
      case "not": {
        refuseUnknownFields(input, path, ["not"]);
        const inner = condition(input.not, `${path}.not`, depth + 1);
        return inner === null ? null : { not: inner };
      }
      case "attribute": {
        refuseUnknownFields(input, path, ["attribute", "op", "value"]);
        const attribute = requireString(input, "attribute", path, "attribute");
        const op = requireOp(input, path, ATTRIBUTE_OPS);
        const test = op === null ? null : valueTest(input, path, op);
        if (attribute === null || test === null) return null;
        // Stored emails are lower case: so are the values a rule compares them with.
        return { attribute, ...(attribute === "email" ? lowerCased(test) : test) } as Condition;
      }
      case "event":
        return event(input, path);
      case "subscribed": {
        refuseUnknownFields(input, path, ["subscribed"]);
        if (isChannel(input.subscribed)) return { subscribed: input.subscribed };
        report(
          `${path}.subscribed`,
          "unknown_channel",
          `Unknown channel ${JSON.stringify(input.subscribed)}; use one of ${CHANNELS.join(", ")}.`,
        );
        return null;
      }
      case "inSegment": {
        refuseUnknownFields(input, path, ["inSegment"]);
        const id = input.inSegment;
        if (typeof id === "string" && /^seg_\S+$/.test(id)) return { inSegment: id };
        report(`${path}.inSegment`, "bad_segment_id", 'inSegment takes a segment id ("seg_…").');
        return null;
      }
    }
  };

  const root = condition(input, options.path ?? "rule", 1);
  return root !== null && problems.length === 0 ? ok(root) : err(problems);
}

/** A value test with its string values in lower case (email rules). */
function lowerCased<T extends ValueTest>(test: T): T {
  if (!("value" in test)) return test;
  const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);
  return { ...test, value: Array.isArray(test.value) ? test.value.map(lower) : lower(test.value) };
}
