import { createHmac, timingSafeEqual } from "node:crypto";
import type { Store } from "../store/store";
import { installationSecret } from "./installation-secret";

/**
 * Open and click tracking of marketing email, with nothing stored beyond the delivery itself:
 *
 *   open pixel  `/t/o/{businessId}.{deliveryId}.{sig}.gif`
 *   click       `/t/c/{businessId}.{deliveryId}.{index}.{sig}?u={base64url(url)}`
 *
 * `sig` is the base64url of the first 16 bytes of HMAC-SHA256 under the installation's
 * `tracking` secret, over the kind, the ids and — for a click — the link's index and the exact
 * target URL. The URL travels in `u` rather than the database, and because it is signed a link
 * whose `u` was changed does not verify: the redirect goes only where the email pointed (no open
 * redirect). Ids are URL-safe, so a token stays under the router's 100-character limit for a
 * path parameter; a link that would not fit is left untracked. Links never expire.
 */
export interface TrackedEmail {
  businessId: string;
  deliveryId: string;
}

/** The tracked URLs of one delivery; null where a URL would not fit the router's limit. */
export interface TrackingLinks {
  open: string | null;
  click(url: string, index: number): string | null;
}

const ID = /^[A-Za-z0-9_-]+$/;
const INDEX = /^(0|[1-9]\d*)$/;
/** Fastify's default `maxParamLength`: a longer path parameter is answered 414. */
const MAX_PARAM = 100;
/** Longer targets stay untracked: `u` must fit a request line with room to spare. */
const MAX_URL = 4096;

const secret = (store: Store) => installationSecret(store, "tracking");

const sign = (key: Buffer, payload: string) =>
  createHmac("sha256", key).update(payload).digest().subarray(0, 16).toString("base64url");

// Compared as text: base64url decoding ignores the spare bits of its last character.
function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * @example
 *   const links = await trackingLinks(store, "https://journeys.example.com", { businessId, deliveryId });
 *   links.open                            // "https://journeys.example.com/t/o/bus_….dlv_….Xq3….gif"
 *   links.click("https://shop.example/", 0) // "https://journeys.example.com/t/c/bus_….dlv_….0.Xq3…?u=aHR0…"
 */
export async function trackingLinks(
  store: Store,
  publicUrl: string,
  d: TrackedEmail,
): Promise<TrackingLinks> {
  const key = await secret(store);
  const base = publicUrl.replace(/\/+$/, "");
  const ids = `${d.businessId}.${d.deliveryId}`;
  const fits = ID.test(d.businessId) && ID.test(d.deliveryId);
  const openToken = `${ids}.${sign(key, `o.${ids}`)}`;
  return {
    open: fits && openToken.length + 4 <= MAX_PARAM ? `${base}/t/o/${openToken}.gif` : null,
    click(url, index) {
      if (!fits || url.length > MAX_URL) return null;
      const token = `${ids}.${index}.${sign(key, `c.${ids}.${index}.${url}`)}`;
      return token.length > MAX_PARAM
        ? null
        : `${base}/t/c/${token}?u=${Buffer.from(url).toString("base64url")}`;
    },
  };
}

/** The delivery an open pixel's token names (`.gif` optional), or null when it does not verify. */
export async function readOpenToken(store: Store, token: string): Promise<TrackedEmail | null> {
  const parts = token.replace(/\.gif$/, "").split(".");
  const [businessId = "", deliveryId = "", given = ""] = parts;
  if (parts.length !== 3 || !ID.test(businessId) || !ID.test(deliveryId)) return null;
  const expected = sign(await secret(store), `o.${businessId}.${deliveryId}`);
  return same(given, expected) ? { businessId, deliveryId } : null;
}

/**
 * The delivery and target of a click link, or null when the token or `u` was changed, or the
 * target is not an http(s) URL.
 */
export async function readClickLink(
  store: Store,
  token: string,
  u: string | undefined,
): Promise<(TrackedEmail & { url: string; index: number }) | null> {
  const parts = token.split(".");
  const [businessId = "", deliveryId = "", index = "", given = ""] = parts;
  if (parts.length !== 4 || !ID.test(businessId) || !ID.test(deliveryId) || !INDEX.test(index)) return null;
  if (!u) return null;
  const url = Buffer.from(u, "base64url").toString("utf8");
  // One spelling of `u` per URL: decoding skips stray characters and spare bits.
  if (Buffer.from(url).toString("base64url") !== u || !isWebUrl(url)) return null;
  const expected = sign(await secret(store), `c.${businessId}.${deliveryId}.${index}.${url}`);
  return same(given, expected) ? { businessId, deliveryId, url, index: Number(index) } : null;
}

/** An absolute http: or https: URL (what a tracked link may lead to). */
export function isWebUrl(url: string): boolean {
  if (!/^https?:\/\//i.test(url)) return false;
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

// A comment (skipped whole), or an `<a …>` start tag whose quoted values may hold `>`.
const ANCHOR_OR_COMMENT = /<!--[\s\S]*?(?:-->|$)|<a(?=[\s>/])(?:[^>"']|"[^"]*"|'[^']*')*>/gi;
const BODY_END_OR_COMMENT = /<!--[\s\S]*?(?:-->|$)|<\/body\s*>/gi;
const ATTRIBUTE = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/**
 * Rewrites a rendered email's HTML for tracking: every `<a href="http(s)://…">` leads through its
 * click link, and an invisible open pixel goes before `</body>` (appended when there is none).
 * Left as they are: the unsubscribe link (`keep`), `mailto:`, `tel:` and `#…` links, links marked
 * `data-journeys-notrack`, and anything inside an HTML comment (Outlook's conditional markup).
 * An href is read as a browser reads it — entities decoded (`&amp;` → `&`), spaces trimmed — so
 * the click leads to the URL the author wrote. Pure: the links come from `trackingLinks`.
 *
 * @example
 *   addTracking('<a href="https://shop.example/?a=1&amp;b=2">Shop</a>', links, unsubscribeUrl)
 *   // → '<a href="https://journeys…/t/c/bus_….dlv_….0.Xq3…?u=aHR0…">Shop</a><img src="…/t/o/….gif" …>'
 */
export function addTracking(html: string, links: TrackingLinks, keep?: string): string {
  let index = 0;
  const tracked = html.replace(ANCHOR_OR_COMMENT, (tag) => {
    if (tag.startsWith("<!--")) return tag;
    const href = hrefOf(tag);
    if (!href) return tag;
    const url = decodeEntities(href.value).trim();
    if (url === keep || !isWebUrl(url)) return tag;
    const link = links.click(url, index);
    if (!link) return tag;
    index++;
    return `${tag.slice(0, href.start)}href="${escapeAttribute(link)}"${tag.slice(href.end)}`;
  });
  if (!links.open) return tracked;
  const pixel = `<img src="${escapeAttribute(links.open)}" width="1" height="1" alt="" style="display:none">`;
  let close = -1;
  for (const m of tracked.matchAll(BODY_END_OR_COMMENT)) if (!m[0].startsWith("<!--")) close = m.index;
  return close === -1 ? `${tracked}${pixel}` : `${tracked.slice(0, close)}${pixel}${tracked.slice(close)}`;
}

/** The href attribute of a start tag (its value and where the whole attribute lies), or null. */
function hrefOf(tag: string): { value: string; start: number; end: number } | null {
  let href: { value: string; start: number; end: number } | null = null;
  const attributes = tag.slice(2, -1);
  for (const m of attributes.matchAll(ATTRIBUTE)) {
    const name = m[1]!.toLowerCase();
    if (name === "data-journeys-notrack") return null;
    // The first of repeated attributes counts, as in a browser.
    if (name === "href" && !href) {
      const start = m.index + 2;
      href = { value: m[2] ?? m[3] ?? m[4] ?? "", start, end: start + m[0].length };
    }
  }
  return href;
}

// Names are case-sensitive; HTML knows these few in capitals too.
const NAMED = new Map(
  Object.entries({
    amp: "&",
    AMP: "&",
    lt: "<",
    LT: "<",
    gt: ">",
    GT: ">",
    quot: '"',
    QUOT: '"',
    apos: "'",
    nbsp: "\u00a0",
  }),
);

/** Character references as they occur in URLs; an unknown name is left as written. */
function decodeEntities(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#\d+|[A-Za-z]+);/g, (whole, ref: string) => {
    if (ref[0] !== "#") return NAMED.get(ref) ?? whole;
    const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    const scalar = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
    return scalar ? String.fromCodePoint(code) : whole;
  });
}

const escapeAttribute = (text: string) => text.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
