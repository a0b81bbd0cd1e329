/**
 * Email bodies written in MJML (https://mjml.io): a body whose first tag is `<mjml>` is
 * compiled to responsive HTML before Liquid renders it, so Liquid in text and attributes
 * (`href="{{ event.url }}"`) passes through MJML untouched and is filled in per customer. The
 * compiled HTML is cached by source — a journey sends one template to many customers — and
 * the compiler loads only in a render thread that meets MJML (it is a large module).
 *
 * Invalid MJML (strict validation) fails with `MjmlError`, whose message names each problem's
 * line; saving such a template answers 400.
 *
 * @example isMjml("<mjml><mj-body>…</mj-body></mjml>") // true
 * @example await compileMjml("<mjml><mj-body><mj-text>Hi {{ customer.firstName }}</mj-text></mj-body></mjml>")
 */
export class MjmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MjmlError";
  }
}

export function isMjml(body: string): boolean {
  return /^\s*(<!--[\s\S]*?-->\s*)*<mjml[\s>]/i.test(body);
}

const MJML: string = "mjml";
const compiled = new Map<string, string>();
const CACHE_SIZE = 200;

type Compile = (source: string, options: object) => Promise<{ html: string; errors: MjmlProblem[] }>;
interface MjmlProblem {
  line?: number;
  message?: string;
}
let compiler: Promise<Compile> | null = null;

export async function compileMjml(source: string): Promise<string> {
  const cached = compiled.get(source);
  if (cached !== undefined) return cached;
  // mjml ships no types; the one call used is typed above. The specifier is a variable so the
  // type checker does not look for a declaration.
  compiler ??= import(MJML).then((m: { default?: unknown }) => (m.default ?? m) as Compile);
  const compile = await compiler;
  let result: { html: string; errors: MjmlProblem[] };
  try {
    // Includes read files of the server: never for a tenant's template.
    result = await compile(source, { validationLevel: "strict", keepComments: false, ignoreIncludes: true });
  } catch (error) {
    const problems = (error as { errors?: MjmlProblem[] }).errors;
    throw new MjmlError(
      problems?.length ? describe(problems) : `MJML does not compile: ${(error as Error).message}`,
    );
  }
  if (result.errors.length > 0) throw new MjmlError(describe(result.errors));
  if (compiled.size >= CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
  compiled.set(source, result.html);
  return result.html;
}

function describe(problems: MjmlProblem[]): string {
  const first = problems
    .slice(0, 3)
    // `formattedMessage` names the server's working folder: the line and message only.
    .map((p) => `line ${p.line ?? "?"}: ${p.message ?? "invalid"}`)
    .join("; ");
  return `MJML: ${first}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}`;
}
