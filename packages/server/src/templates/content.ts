import type { Channel } from "@journeys/core";
import { JourneysError } from "../errors";
import { CHANNEL_LIMITS, characters } from "./channel-limits";
import { checkLiquid, type LiquidMode, type LiquidProblem } from "./liquid";
import type { ContentByChannel } from "./template";

/** The content fields each channel accepts (anything else is refused, so typos show). */
export const CONTENT_FIELDS: Record<Channel, readonly string[]> = {
  email: ["subject", "body", "text"],
  sms: ["body"],
  telegram: ["body"],
  whatsapp: ["body", "whatsappTemplate"],
  push: ["title", "body", "url"],
};

interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Checks a template's content for its channel and that every Liquid string parses; returns
 * the content with only its own fields. Throws 400 `invalid_template_content` naming every
 * wrong field, or 400 `invalid_template` with the field, line and column of a Liquid error.
 *
 * @example parseContent("email", { subject: "Hi {{ customer.firstName }}", body: "<p>…</p>" })
 */
export function parseContent<C extends Channel>(
  channel: C,
  input: Record<string, unknown>,
): ContentByChannel[C] {
  const problems: FieldProblem[] = [];
  const allowed = CONTENT_FIELDS[channel];
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key))
      problems.push({ field: key, message: `is not a field of ${channel} templates` });
  }
  const str = (field: string, required: boolean) => {
    const value = input[field];
    if (value === undefined || value === null) {
      if (required) problems.push({ field, message: "is required" });
      return;
    }
    if (typeof value !== "string") problems.push({ field, message: "must be a string" });
    else if (required && value.trim() === "") problems.push({ field, message: "must not be empty" });
    else {
      const limit = CHANNEL_LIMITS[channel][field] ?? 10_000;
      if (characters(value) > limit)
        problems.push({
          field,
          message: `must be at most ${limit} characters on ${channel} (it has ${characters(value)})`,
        });
    }
  };

  if (channel === "email") {
    str("subject", true);
    str("body", true);
    str("text", false);
  } else if (channel === "push") {
    str("title", true);
    str("body", true);
    str("url", false);
  } else if (channel === "whatsapp") {
    // Free text (inside the 24-hour window), an approved template (any time), or both: the
    // dispatcher sends the body inside the window and the template outside it.
    const ref = input.whatsappTemplate;
    const hasRef = ref !== undefined && ref !== null;
    const hasBody = input.body !== undefined && input.body !== null;
    if (!hasRef && !hasBody)
      problems.push({ field: "body", message: "is required (or whatsappTemplate, or both)" });
    if (hasBody) str("body", true);
    if (hasRef) problems.push(...whatsappProblems(ref));
  } else {
    str("body", true);
  }
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new JourneysError(
      "bad_request",
      "invalid_template_content",
      `${first.field} ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ""}`,
      { fields: problems },
    );
  }

  const content: Record<string, unknown> = {};
  for (const key of allowed) if (input[key] !== undefined && input[key] !== null) content[key] = input[key];
  const liquid = liquidProblems(channel, content);
  if (liquid.length > 0) {
    const first = liquid[0]!;
    throw new JourneysError(
      "bad_request",
      "invalid_template",
      `${first.field}: Liquid does not parse${first.line === null ? "" : ` at line ${first.line}`}: ${first.message}`,
      { problems: liquid },
    );
  }
  return content as unknown as ContentByChannel[C];
}

function whatsappProblems(ref: unknown): FieldProblem[] {
  if (typeof ref !== "object" || Array.isArray(ref)) {
    return [{ field: "whatsappTemplate", message: "must be { name, language, parameters }" }];
  }
  const r = ref as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(r)) {
    if (!["name", "language", "parameters"].includes(key))
      problems.push({ field: `whatsappTemplate.${key}`, message: "is not a field of whatsappTemplate" });
  }
  if (typeof r.name !== "string" || !/^[a-z0-9_]{1,512}$/.test(r.name))
    problems.push({
      field: "whatsappTemplate.name",
      message: "must be the approved template's name (a-z, 0-9, _)",
    });
  if (typeof r.language !== "string" || !/^[a-z]{2,3}(_[A-Z]{2})?$/.test(r.language))
    problems.push({
      field: "whatsappTemplate.language",
      message: 'must be a language code such as "en" or "en_US"',
    });
  const params = r.parameters ?? [];
  if (!Array.isArray(params) || params.some((p) => typeof p !== "string") || params.length > 100)
    problems.push({ field: "whatsappTemplate.parameters", message: "must be a list of strings" });
  else
    params.forEach((p: string, i: number) => {
      if (characters(p) > CHANNEL_LIMITS.whatsapp.parameter!)
        problems.push({
          field: `whatsappTemplate.parameters.${i}`,
          message: `must be at most ${CHANNEL_LIMITS.whatsapp.parameter} characters`,
        });
    });
  return problems;
}

/** The Liquid strings of a content, with the engine each renders with. */
export function liquidFields(
  channel: Channel,
  content: Record<string, unknown>,
): Array<[string, string, LiquidMode]> {
  const out: Array<[string, string, LiquidMode]> = [];
  for (const [field, value] of Object.entries(content)) {
    if (typeof value === "string")
      out.push([field, value, channel === "email" && field === "body" ? "html" : "plain"]);
  }
  const ref = content.whatsappTemplate as { parameters?: string[] } | undefined;
  ref?.parameters?.forEach((p, i) => {
    out.push([`whatsappTemplate.parameters.${i}`, p, "plain"]);
  });
  return out;
}

function liquidProblems(channel: Channel, content: Record<string, unknown>): LiquidProblem[] {
  return liquidFields(channel, content)
    .map(([field, source, mode]) => checkLiquid(field, source, mode))
    .filter((p): p is LiquidProblem => p !== null);
}
