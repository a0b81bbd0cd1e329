import type { Channel } from "@journeys/core";
import type { Outbound } from "../outbound/outbound";
import type { ChannelProvider } from "./provider";

/**
 * An optional http(s) URL of a set-up (`apiBaseUrl`, FCM's `tokenUrl`): at most 2,048
 * characters, without query, fragment or credentials, kept without its trailing slash; a wrong
 * one is added to `problems` under `field`.
 *
 * @example httpUrlField("https://api.twilio.com/", "apiBaseUrl", problems, "https://api.twilio.com") // "https://api.twilio.com"
 */
export function httpUrlField(
  value: unknown,
  field: string,
  problems: SetupProblem[],
  example: string,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string" && value.length <= 2048 && URL.canParse(value.trim())) {
    const url = new URL(value.trim());
    if (
      (url.protocol === "https:" || url.protocol === "http:") &&
      !url.search &&
      !url.hash &&
      !url.username &&
      !url.password
    )
      return url.toString().replace(/\/+$/, "");
  }
  problems.push({ field, message: `must be an http(s) URL without query or credentials, e.g. ${example}` });
  return undefined;
}

/** A wrong field of a channel set-up, named for the 400 answer. */
export interface SetupProblem {
  field: string;
  message: string;
}

/**
 * What the server knows about one provider: how to check its set-up (`PUT …/channels/{channel}`),
 * how to show it without secrets, and how to build a provider from it. One per provider file.
 *
 * @example
 *   const parsed = smtpDefinition.parse({ host: "smtp.example.com", port: 587, … }, null);
 *   if (Array.isArray(parsed)) throw …; else smtpDefinition.create(parsed, outbound);
 */
export interface ProviderDefinition<Config = Record<string, unknown>> {
  channel: Channel;
  /** Stored in `channels.provider`; never renamed. */
  name: string;
  /** Fields of the set-up that are secrets: encrypted at rest, never shown, never logged. */
  secretFields: readonly string[];
  /** Checks a set-up; `existing` lets a secret that is not sent again stay as it was. */
  parse(input: Record<string, unknown>, existing: Config | null): Config | SetupProblem[];
  /** The set-up as the API shows it: secrets replaced by `…Set: true`. */
  redact(config: Config): Record<string, unknown>;
  /** The hosts the set-up makes the server connect to, by field, checked when it is saved. */
  outboundHosts(config: Config): Array<{ field: string; host: string }>;
  /** A provider whose every connection goes through `outbound`. */
  create(config: Config, outbound: Outbound): ChannelProvider;
}
