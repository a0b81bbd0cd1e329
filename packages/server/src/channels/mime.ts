import { domainToASCII } from "node:url";
import base64 from "nodemailer/lib/base64/index.js";
import mimeFuncs from "nodemailer/lib/mime-funcs/index.js";
import qp from "nodemailer/lib/qp/index.js";

/** An address with an optional display name, e.g. `{ name: "Shop", address: "news@shop.example" }`. */
export interface Mailbox {
  name?: string;
  address: string;
}

export interface ComposedEmail {
  from: Mailbox;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers (List-Unsubscribe, …): names as given, values one line each. */
  headers: Record<string, string>;
  /** With its angle brackets, e.g. `<dlv_01…@shop.example>`. */
  messageId: string;
  date: Date;
  /** Separates the text and HTML parts; must not occur in either. */
  boundary: string;
}

/**
 * The RFC 5322 message of an email with a text and an HTML alternative, encoded as nodemailer
 * encodes it (its own word, quoted-printable and base64 encoders): headers folded at 76
 * columns, non-ASCII words as RFC 2047 words, bodies 7bit when plain short-lined ASCII,
 * otherwise quoted-printable or base64, whichever nodemailer would pick. nodemailer's SMTP
 * client sends it as is (`raw`); it dot-stuffs and ends the data itself.
 *
 * Composing here, not through nodemailer's MIME tree, saves the sender thread about a quarter
 * of its CPU per email: the tree normalizes every header name with regular expressions and
 * draws random bytes (a system call) for each of its three parts.
 *
 * @example
 *   composeEmail({ from: { name: "Shop", address: "news@shop.example" }, to: "ada@example.com",
 *     subject: "Grüße", html: "<p>Hi</p>", text: "Hi", headers: {}, messageId: "<m1@shop.example>",
 *     date: new Date(), boundary: "b1" })
 *   // → "From: Shop <news@shop.example>\r\nTo: ada@example.com\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n…"
 */
export function composeEmail(email: ComposedEmail): string {
  const lines = [
    header("From", mailbox(email.from)),
    header("To", mailbox({ address: email.to })),
    header("Subject", words(email.subject)),
    header("Message-ID", oneLine(email.messageId)),
    header("Date", email.date.toUTCString().replace(/GMT/, "+0000")),
    "MIME-Version: 1.0",
    ...Object.entries(email.headers).map(([name, value]) => header(name, words(value))),
    `Content-Type: multipart/alternative; boundary="${email.boundary}"`,
    "",
    `--${email.boundary}`,
    part("text/plain", email.text),
    `--${email.boundary}`,
    part("text/html", email.html),
    `--${email.boundary}--`,
    "",
  ];
  return lines.join("\r\n");
}

function header(name: string, value: string): string {
  return mimeFuncs.foldLines(`${oneLine(name)}: ${value}`, 76);
}

/** No line breaks in a header: a value with one could add headers of its own. */
function oneLine(value: string): string {
  return value.replace(/\r?\n|\r/g, " ").trim();
}

/** Free text for a header: non-ASCII words become RFC 2047 words. */
function words(value: string): string {
  const line = oneLine(value);
  return mimeFuncs.isPlainText(line) ? line : mimeFuncs.encodeWords(line, wordEncoding(line), 52);
}

/**
 * An address with its domain in ASCII (punycode: `ada@jõgeva.ee` → `ada@xn--jgeva-dua.ee`), for
 * headers and the SMTP envelope alike; the local part is kept as is (SMTPUTF8).
 */
export function asciiDomain(address: string): string {
  const clean = oneLine(address).replace(/[<>]/g, "");
  const at = clean.lastIndexOf("@");
  if (at < 0) return clean;
  const domain = clean.slice(at + 1);
  return `${clean.slice(0, at)}@${domainToASCII(domain) || domain}`;
}

/** `Name <local@domain>` with the name quoted or encoded as needed. */
function mailbox({ name, address }: Mailbox): string {
  const display = name ? oneLine(name) : "";
  return display ? `${displayName(display)} <${asciiDomain(address)}>` : asciiDomain(address);
}

function displayName(name: string): string {
  if (/^[\w ]*$/.test(name)) return name;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/([\\"])/g, "\\$1")}"`;
  return mimeFuncs.encodeWord(name, wordEncoding(name), 52);
}

/** nodemailer's choice: Q(uoted-printable) when most characters are Latin letters, else B(ase64). */
function wordEncoding(value: string): "Q" | "B" {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters count as non-Latin, as nodemailer counts them
  const nonLatin = value.match(/[\x00-\x08\x0B\x0C\x0E-\x1F\u0080-\uFFFF]/g)?.length ?? 0;
  const latin = value.match(/[a-z]/gi)?.length ?? 0;
  return nonLatin < latin ? "Q" : "B";
}

function part(contentType: string, content: string): string {
  const body = content.replace(/\r?\n|\r/g, "\r\n");
  let encoding: string;
  let encoded: string;
  if (mimeFuncs.isPlainText(body) && !mimeFuncs.hasLongerLines(body, 76)) {
    encoding = "7bit";
    encoded = body;
  } else if (wordEncoding(body) === "Q") {
    encoding = "quoted-printable";
    encoded = qp.wrap(qp.encode(body), 76);
  } else {
    encoding = "base64";
    encoded = base64.wrap(base64.encode(body), 76);
  }
  return `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${encoded}`;
}
