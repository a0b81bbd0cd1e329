/**
 * The `value` each op needs, checked on untrusted JSON. Shared by attribute conditions and
 * event `where` filters so one op accepts the same values in both places.
 *
 * @example
 *   parseValueTest("in", ["gold", "silver"], "rule.value"); // ok({ op: "in", value: [...] })
 *   parseValueTest("before", "last week", "rule.value");   // err([{ code: "bad_value", … }])
 */
import { err, ok, type Result } from "../result";
import type { Scalar, ValueTest } from "./condition";
import type { ConditionProblem } from "./problems";
import { isIsoDate, toDate, toNumber } from "./values";

/** Long `in` lists belong in a manual segment, not in a rule evaluated on every event. */
export const MAX_IN_VALUES = 1_000;

/** The longest event or attribute window a rule may ask for: 100 years (a longer one leaves the stores' time range). */
export const MAX_WINDOW_DAYS = 36_500;

export function isPositiveNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0;
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === "string" || typeof value === "boolean" || Number.isFinite(value);
}

/** Checks `value` (undefined when absent) for `op`, reporting problems at `path`. */
export function parseValueTest(
  op: ValueTest["op"],
  value: unknown,
  path: string,
): Result<ValueTest, ConditionProblem[]> {
  const bad = (message: string) => err([{ path, code: "bad_value" as const, message }]);
  if (op === "exists" || op === "notExists" || op === "anniversaryToday") {
    if (value === undefined || value === null) return ok({ op });
    return err([{ path, code: "unexpected_value", message: `The op "${op}" takes no value.` }]);
  }
  if (value === undefined || value === null) {
    return err([{ path, code: "missing_value", message: `The op "${op}" needs a value.` }]);
  }
  switch (op) {
    case "eq":
    case "neq":
    case "contains":
      return isScalar(value) ? ok({ op, value }) : bad("Expected a text, number or true/false value.");
    case "startsWith":
      return typeof value === "string" ? ok({ op, value }) : bad("Expected a text value.");
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      if (typeof value === "number" && Number.isFinite(value)) return ok({ op, value });
      if (typeof value === "string" && (toNumber(value) !== null || isIsoDate(value)))
        return ok({ op, value });
      return bad("Expected a number or an ISO date (YYYY-MM-DD).");
    case "in": {
      if (!Array.isArray(value) || value.length === 0) return bad("Expected a non-empty list of values.");
      if (value.length > MAX_IN_VALUES) return bad(`A list may hold at most ${MAX_IN_VALUES} values.`);
      const problems: ConditionProblem[] = value.flatMap((element, i) =>
        isScalar(element)
          ? []
          : [
              {
                path: `${path}[${i}]`,
                code: "bad_value" as const,
                message: "Expected a text, number or true/false value.",
              },
            ],
      );
      return problems.length > 0 ? err(problems) : ok({ op, value: value as Scalar[] });
    }
    case "before":
    case "after":
      return (typeof value === "string" || typeof value === "number") && toDate(value) !== null
        ? ok({ op, value })
        : bad("Expected an ISO date (YYYY-MM-DD or a date-time) or epoch milliseconds.");
    case "withinLastDays":
      return isPositiveNumber(value) && value <= MAX_WINDOW_DAYS
        ? ok({ op, value })
        : bad(`Expected a positive number of days, at most ${MAX_WINDOW_DAYS}.`);
  }
}
