import type { Channel } from "@journeys/core";

/**
 * What each channel lets one message hold, by content field, in characters (code points): the
 * provider's own hard limits — SMS 1,600 (Twilio's ten concatenated segments), Telegram and
 * WhatsApp text 4,096, WhatsApp template parameters 1,024 — and for push what a lock screen
 * can show (title 100, body 1,000; the encrypted payload itself must stay under 4 KB, checked
 * when sent). Checked on the template's source when it is saved (Liquid can only be measured
 * once rendered) and again on the rendered message before it is sent.
 */
export const CHANNEL_LIMITS: Record<Channel, Record<string, number>> = {
  email: { subject: 998, body: 256 * 1024, text: 256 * 1024 },
  sms: { body: 1600 },
  telegram: { body: 4096 },
  whatsapp: { body: 4096, parameter: 1024 },
  push: { title: 100, body: 1000, url: 2048 },
};

/** Characters as a person counts them (code points, not UTF-16 units). */
export const characters = (text: string): number => [...text].length;

/** The GSM 03.38 basic set and its extension table (each extension character costs two). */
const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED = "^{}\\[~]|€\f";
const BASIC = new Set(GSM_BASIC);
const EXTENDED = new Set(GSM_EXTENDED);

export interface SmsSegments {
  /** GSM-7 when every character is in the GSM set, else UCS-2 (an emoji or "ł" switches the whole message). */
  encoding: "GSM-7" | "UCS-2";
  characters: number;
  /** How many SMS the carrier bills: 160 / 70 in one, 153 / 67 per part when concatenated. */
  segments: number;
}

/**
 * How an SMS body is split for sending (3GPP TS 23.038 / 23.040).
 *
 * @example smsSegments("Hi Ada") // → { encoding: "GSM-7", characters: 6, segments: 1 }
 * @example smsSegments("Hi 👋")  // → { encoding: "UCS-2", characters: 4, segments: 1 }
 */
export function smsSegments(body: string): SmsSegments {
  const chars = [...body];
  const gsm = chars.every((c) => BASIC.has(c) || EXTENDED.has(c));
  if (gsm) {
    const septets = chars.reduce((n, c) => n + (EXTENDED.has(c) ? 2 : 1), 0);
    return {
      encoding: "GSM-7",
      characters: chars.length,
      segments: septets <= 160 ? 1 : Math.ceil(septets / 153),
    };
  }
  // UCS-2 counts UTF-16 units: a character outside the BMP (most emoji) takes two.
  const units = body.length;
  return { encoding: "UCS-2", characters: chars.length, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}

/**
 * The first field of a rendered message over its channel's limit, as a sentence, or null.
 *
 * @example renderedOverLimit("sms", { body: "x".repeat(1601) })
 *   // → "body renders to 1601 characters; sms allows at most 1600"
 */
export function renderedOverLimit(channel: Channel, fields: Record<string, unknown>): string | null {
  for (const [field, limit] of Object.entries(CHANNEL_LIMITS[channel])) {
    const value = fields[field];
    if (typeof value === "string" && characters(value) > limit)
      return `${field} renders to ${characters(value)} characters; ${channel} allows at most ${limit}`;
  }
  return null;
}
