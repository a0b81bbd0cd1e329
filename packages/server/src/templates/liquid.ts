import { Liquid, type Template as LiquidTemplate } from "liquidjs";

/**
 * The Liquid engines templates are parsed and rendered with. Personalisation is data, not
 * code, so the engines are fenced in:
 * - strict filters: an unknown filter is a parse error, found when the template is saved;
 * - no file system: `include`, `render` and `layout` are not tags here at all (and the
 *   template lookup is an empty in-memory map should one slip through);
 * - limits on parse size, render time and memory, and on the output (`MAX_OUTPUT`).
 * HTML bodies escape every output (`{{ customer.name }}` cannot inject markup; `| raw`
 * opts out); subjects and text do not.
 */
export const MAX_OUTPUT = 512 * 1024;

function engine(escapeHtml: boolean): Liquid {
  const liquid = new Liquid({
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    templates: {},
    parseLimit: 256 * 1024,
    renderLimit: 1_000,
    memoryLimit: 16 * 1024 * 1024,
    ...(escapeHtml ? { outputEscape: "escape" as const } : {}),
  });
  for (const tag of ["include", "render", "layout"]) delete liquid.tags[tag];
  return liquid;
}

const engines = { html: engine(true), plain: engine(false) };
export type LiquidMode = keyof typeof engines;

/** Where a template does not parse, in words a marketer can act on. */
export interface LiquidProblem {
  field: string;
  line: number | null;
  column: number | null;
  message: string;
}

/**
 * Parses `source` or says why not.
 *
 * @example checkLiquid("subject", "Hi {{ name | nope }}")
 *   // → { field: "subject", line: 1, column: 4, message: "undefined filter: nope, line:1, col:4" }
 */
export function checkLiquid(field: string, source: string, mode: LiquidMode = "plain"): LiquidProblem | null {
  try {
    engines[mode].parse(source);
    return null;
  } catch (error) {
    const e = error as { message?: string; token?: { getPosition?: () => [number, number] } };
    const [line, column] = e.token?.getPosition?.() ?? [null, null];
    return { field, line, column, message: e.message ?? String(error) };
  }
}

// Parsed templates are cached by source: a journey renders the same template for many customers.
const parsed = { html: new Map<string, LiquidTemplate[]>(), plain: new Map<string, LiquidTemplate[]>() };
const CACHE_SIZE = 500;

/**
 * Renders `source` against `scope`; throws `RenderLimitError` when the output is larger than
 * `MAX_OUTPUT`, and liquidjs errors for templates that fail at render time.
 *
 * @example await renderLiquid("Hi {{ customer.email }}", { customer: { email: "ada@example.com" } })
 */
export async function renderLiquid(
  source: string,
  scope: Record<string, unknown>,
  mode: LiquidMode = "plain",
): Promise<string> {
  const cache = parsed[mode];
  let template = cache.get(source);
  if (!template) {
    template = engines[mode].parse(source);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(source, template);
  }
  const out = await engines[mode].render(template, scope);
  const text = typeof out === "string" ? out : String(out);
  if (text.length > MAX_OUTPUT) throw new RenderLimitError(text.length);
  return text;
}

export class RenderLimitError extends Error {
  constructor(size: number) {
    super(`the rendered message is ${size} characters, more than the limit of ${MAX_OUTPUT}`);
    this.name = "RenderLimitError";
  }
}
