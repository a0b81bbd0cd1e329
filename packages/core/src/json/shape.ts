/**
 * The shape every JSON value the product stores must have, checked before anything else reads
 * it: nested at most `maxDepth` levels, and every string (keys included) storable text.
 *
 * - Depth: SQLite's JSON functions refuse documents nested more than 1,000 levels, and
 *   `JSON.stringify` overflows the stack a few thousand levels down; one such value stored
 *   would break every query over its column. The check walks the value with an explicit stack,
 *   so it cannot overflow whatever the depth.
 * - Strings: PostgreSQL's text and jsonb cannot hold U+0000, and jsonb refuses an unpaired
 *   UTF-16 surrogate (`"\ud800"`); SQLite keeps both, so the same input must be refused on both.
 *
 * A scalar is depth 0; an object or array is one more than its deepest member.
 *
 * @example
 *   jsonShapeProblem({ a: { b: 1 } }, { maxDepth: 1, path: "traits" })
 *   // → { code: "too_deep", path: "traits.a", limit: 1, message: "traits.a nests deeper than … 1 level" }
 */
export interface JsonShapeLimits {
  /** Levels of objects and arrays allowed, the value itself counted: `{}` is 1, `{"a":{}}` 2. */
  maxDepth: number;
  /** Where the value sits, for the message, e.g. "traits" ("" for a whole body). */
  path?: string;
}

export interface JsonShapeProblem {
  code: "too_deep" | "invalid_string";
  /** Where the problem is, dotted (`traits.a.b`, `batch[2].event`), shortened when very long. */
  path: string;
  /** The depth limit, for `too_deep`. */
  limit?: number;
  message: string;
}

/** U+0000, or a surrogate that is not half of a pair. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what this finds
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored, or null. */
export function unstorableText(text: string): string | null {
  const found = UNSTORABLE.exec(text);
  if (!found) return null;
  return found[0] === "\u0000"
    ? "contains the character U+0000 (NUL), which cannot be stored"
    : "contains an unpaired UTF-16 surrogate (not valid Unicode text)";
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: string | number | null;
}

/** The first problem found in `value`, or null when it is fine. */
export function jsonShapeProblem(value: unknown, limits: JsonShapeLimits): JsonShapeProblem | null {
  const stack: Frame[] = [{ value, depth: 0, parent: null, key: null }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v === "string") {
      const why = unstorableText(v);
      if (why) return stringProblem(frame, limits, why);
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    const depth = frame.depth + 1;
    if (depth > limits.maxDepth) {
      const path = pathOf(frame, limits.path);
      return {
        code: "too_deep",
        path,
        limit: limits.maxDepth,
        message: `${path || "the body"} nests deeper than the limit of ${levels(limits.maxDepth)}`,
      };
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, parent: frame, key: i });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const why = unstorableText(key);
      if (why)
        return stringProblem({ value: key, depth, parent: frame, key }, limits, `has a key that ${why}`);
      stack.push({ value: (v as Record<string, unknown>)[key], depth, parent: frame, key });
    }
  }
  return null;
}

function stringProblem(frame: Frame, limits: JsonShapeLimits, why: string): JsonShapeProblem {
  const path = pathOf(frame, limits.path);
  return { code: "invalid_string", path, message: `${path || "the body"} ${why}` };
}

const levels = (n: number) => `${n} level${n === 1 ? "" : "s"}`;

/** Keys this many steps from the top are named; deeper paths say how many levels they skip. */
const PATH_STEPS = 12;

function pathOf(frame: Frame, root = ""): string {
  const keys: Array<string | number> = [];
  for (let f: Frame | null = frame; f?.parent; f = f.parent) keys.push(f.key!);
  keys.reverse();
  const step = (key: string | number) =>
    typeof key === "number"
      ? `[${key}]`
      : /^[A-Za-z_$][\w$-]*$/.test(key)
        ? `.${key}`
        : `[${JSON.stringify(key)}]`;
  const shown = keys.slice(0, PATH_STEPS).map(step).join("");
  const rest = keys.length > PATH_STEPS ? `…(${keys.length - PATH_STEPS} levels more)` : "";
  const path = `${root}${shown}${rest}`;
  return path.startsWith(".") ? path.slice(1) : path;
}
