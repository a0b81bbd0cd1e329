/**
 * The plain-text part of an email derived from its HTML, for clients and filters that read
 * text: block elements become line breaks, links keep their address ("label (https://…)"),
 * images their alt text, and entities are decoded. Not a layout engine — good enough that a
 * text-only reader gets every word and every link.
 *
 * @example htmlToText('<p>Hi <b>Ada</b></p><p><a href="https://x.test">Shop</a></p>')
 *   // → "Hi Ada\n\nShop (https://x.test)"
 */
export function htmlToText(html: string): string {
  let s = html
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(head|style|script|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, "")
    .replace(
      /<a\b[^>]*?href\s*=\s*("([^"]*)"|'([^']*)')[^>]*>([\s\S]*?)<\/a\s*>/gi,
      (_m, _q, d, s1, label) => {
        const href = decodeEntities(d ?? s1 ?? "");
        const text = stripTags(label).trim();
        if (!text || text === href || href.startsWith("#")) return text || href;
        return `${text} (${href})`;
      },
    )
    .replace(/<img\b[^>]*?alt\s*=\s*("([^"]*)"|'([^']*)')[^>]*>/gi, (_m, _q, d, s1) => d ?? s1 ?? "")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(/<\/(p|div|h[1-6]|ul|ol|table|blockquote|section|header|footer)\s*>/gi, "\n\n")
    .replace(/<(p|div|h[1-6]|tr|table|blockquote|section)\b[^>]*>/gi, "\n")
    .replace(/<\/tr\s*>/gi, "\n")
    .replace(/<\/t[dh]\s*>/gi, " ");
  s = decodeEntities(stripTags(s));
  return s
    .split("\n")
    .map((line) => line.replace(/[ \t\f\v\u00a0]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function stripTags(s: string): string {
  return s.replace(/<[^>]*>/g, "");
}

const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  copy: "©",
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return NAMED[e.toLowerCase()] ?? m;
  });
}
