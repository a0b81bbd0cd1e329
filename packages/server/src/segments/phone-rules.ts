import type { Condition, ConditionProblem } from "@journeys/core";
import { normalisePhone } from "../customers/profile";

/**
 * Phones are stored in E.164 (`+447700900123`), so a rule on `phone` is rewritten to compare
 * with that form, as email rules compare in lower case: the values of `eq`, `neq` and `in`
 * become E.164 (`"+44 7700 900123"` matches), and those of `contains` and `startsWith` lose the
 * spaces, dashes, dots and brackets people type (`"+44 (20)"` → `"+4420"`). An `eq` / `neq` /
 * `in` value that is no valid international number could never match, so it is a problem.
 *
 * @example
 *   normalisePhoneRules({ attribute: "phone", op: "eq", value: "+44 7700 900123" }, "rule")
 *   // → { rule: { attribute: "phone", op: "eq", value: "+447700900123" }, problems: [] }
 */
export function normalisePhoneRules(
  rule: Condition,
  path: string,
): { rule: Condition; problems: ConditionProblem[] } {
  const problems: ConditionProblem[] = [];
  const e164 = (value: unknown, at: string): unknown => {
    const phone = normalisePhone(value);
    if (typeof phone === "string") return phone;
    problems.push({
      path: at,
      code: "bad_value",
      message: `${JSON.stringify(value)} is not a valid international phone number (E.164, e.g. +4915112345678); phones are stored in that form, so it could match no one.`,
    });
    return value;
  };
  const walk = (c: Condition, at: string): Condition => {
    if ("all" in c) return { all: c.all.map((child, i) => walk(child, `${at}.all[${i}]`)) };
    if ("any" in c) return { any: c.any.map((child, i) => walk(child, `${at}.any[${i}]`)) };
    if ("not" in c) return { not: walk(c.not, `${at}.not`) };
    if (!("attribute" in c) || c.attribute !== "phone") return c;
    switch (c.op) {
      case "eq":
      case "neq":
        return { ...c, value: e164(c.value, `${at}.value`) as string };
      case "in":
        return { ...c, value: c.value.map((v, i) => e164(v, `${at}.value[${i}]`) as string) };
      case "contains":
      case "startsWith":
        return { ...c, value: String(c.value).replace(/[\s\-.()]/g, "") };
      default:
        return c;
    }
  };
  return { rule: walk(rule, path), problems };
}
