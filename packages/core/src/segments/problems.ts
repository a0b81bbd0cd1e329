/**
 * Why a rule was refused. Codes are stable (clients switch on them); messages are for people.
 *
 * @example
 *   { path: "rule.all[2].op", code: "unknown_op", message: 'Unknown op "equals"; use one of eq, neq, …' }
 */
export type ConditionProblemCode =
  /** The node is not a JSON object. */
  | "not_an_object"
  /** The object has none of all / any / not / attribute / event / subscribed / inSegment. */
  | "unknown_condition"
  /** The object has more than one of them. */
  | "ambiguous_condition"
  /** A field the condition does not have (often a typo). */
  | "unknown_field"
  | "missing_field"
  /** A field other than `value` has the wrong type or range. */
  | "bad_field"
  | "unknown_op"
  | "missing_value"
  /** `value` has the wrong type for the op, or is not a valid date / number. */
  | "bad_value"
  /** `value` given to an op that takes none (exists, notExists, anniversaryToday). */
  | "unexpected_value"
  | "unknown_channel"
  | "bad_segment_id"
  | "too_deep"
  | "too_many_conditions";

export interface ConditionProblem {
  /** JSON path from the rule's root, e.g. `rule.all[2].where[0].value`. */
  path: string;
  code: ConditionProblemCode;
  message: string;
}
