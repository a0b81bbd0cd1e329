import { CaptureTag, type Context, Drop, filters, Liquid, type Template as LiquidTemplate } from "liquidjs";

/**
 * The Liquid engines templates are parsed and rendered with. Personalisation is data, not
 * code, so the engines are fenced in:
 * - strict filters: an unknown filter is a parse error, found when the template is saved;
 * - no file system: `include`, `render` and `layout` are not tags here at all (and the
 *   template lookup is an empty in-memory map should one slip through);
 * - limits on parse size, render time and memory, and on the output (`MAX_OUTPUT`).
 * HTML bodies escape every output once (`{{ customer.name }}` cannot inject markup; `| raw`
 * opts out): output that is already HTML — ending in `| escape` or `| escape_once`, or a
 * `{% capture %}` of the body's own markup — is not escaped again, and entities an earlier
 * `| escape` wrote are kept as they are. Subjects and text escape nothing.
 */
export const MAX_OUTPUT = 512 * 1024;

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&#34;",
  "'": "&#39;",
};

/** Text as HTML, the way Liquid's `escape` writes it: `O'Brien & Sons` → `O&#39;Brien &amp; Sons`. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * What a `{% capture %}` holds in an HTML body: markup the body rendered, its outputs already
 * escaped. Filters and comparisons see the string; output writes it as it is.
 */
class Markup extends Drop {
  constructor(readonly html: string) {
    super();
  }
  override valueOf(): string {
    return this.html;
  }
  override toString(): string {
    return this.html;
  }
  get length(): number {
    return this.html.length;
  }
  override liquidMethodMissing(key: unknown): unknown {
    return key === "size" ? this.html.length : undefined;
  }
}

class MarkupCapture extends CaptureTag {
  override *render(ctx: Context): Generator<unknown, void, string> {
    yield* super.render(ctx);
    const scope = ctx.bottom() as Record<string, unknown>;
    const html = String(scope[this.variable] ?? "");
    // Text that escaping leaves as it is stays a plain string (`== blank` and the like behave
    // exactly as in subjects).
    if (escapeHtml(html) !== html) scope[this.variable] = new Markup(html);
  }
}

const liquidEscapeOnce = filters.escape_once as (this: unknown, value: unknown) => string;

/**
 * Every output of an HTML body goes through this, as its last filter. It escapes once
 * (`escape_once`: an entity already there is kept), so `{{ name | escape | append: "!" }}`
 * is not escaped twice, while whatever a later filter added is still escaped.
 */
function escapeOutput(this: unknown, value: unknown): string {
  return value instanceof Markup ? value.html : liquidEscapeOnce.call(this, value);
}

function engine(html: boolean): Liquid {
  const liquid = new Liquid({
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    templates: {},
    parseLimit: 256 * 1024,
    // A render stops after 250 ms between tags; render-threads.ts stops a thread that runs past
    // its deadline inside one filter call, where liquidjs cannot check.
    renderLimit: 250,
    memoryLimit: 16 * 1024 * 1024,
    ...(html ? { outputEscape: escapeOutput } : {}),
  });
  for (const tag of ["include", "render", "layout"]) delete liquid.tags[tag];
  if (html) {
    // `raw: true` is liquidjs's mark for a last filter whose output is written unescaped.
    for (const name of ["escape", "escape_once", "xml_escape"]) {
      const handler = liquid.filters[name];
      if (typeof handler === "function") liquid.registerFilter(name, { handler, raw: true });
    }
    liquid.registerTag("capture", MarkupCapture);
  }
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
