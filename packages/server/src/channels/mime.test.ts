import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AddressObject, simpleParser } from "mailparser";
import { prng } from "../testing/random";
import { asciiDomain, type ComposedEmail, composeEmail } from "./mime";
import { rawHeader } from "./test-smtp-server";

const base: ComposedEmail = {
  from: { name: "Shop", address: "news@shop.example" },
  to: "ada@example.com",
  subject: "Your order",
  html: "<p>Thanks</p>",
  text: "Thanks",
  headers: {
    "List-Unsubscribe": "<https://journeys.example/u/abc>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
  },
  messageId: "<dlv_1@shop.example>",
  date: new Date(Date.UTC(2026, 10, 30, 12, 0, 0)),
  boundary: "=_b0",
};

/** mailparser (what the test SMTP server parses with) reads back what was composed. */
async function roundTrip(email: ComposedEmail) {
  const raw = composeEmail(email);
  for (const line of raw.split("\r\n")) assert.ok(line.length <= 998, `a line of ${line.length} characters`);
  assert.equal(/\r(?!\n)|(?<!\r)\n/.test(raw), false, "every line ends with CRLF");
  return { raw, mail: await simpleParser(raw) };
}

const firstAddress = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field[0] : field)?.value[0];
const lf = (text: string) => text.replace(/\r\n/g, "\n");

describe("composeEmail", () => {
  it("writes a plain ASCII email in 7bit with every header a reader expects", async () => {
    const { raw, mail } = await roundTrip(base);
    assert.equal(mail.subject, "Your order");
    assert.deepEqual(firstAddress(mail.from), { name: "Shop", address: "news@shop.example" });
    assert.equal(firstAddress(mail.to)?.address, "ada@example.com");
    assert.equal(mail.messageId, "<dlv_1@shop.example>");
    assert.equal(mail.date?.toISOString(), "2026-11-30T12:00:00.000Z");
    assert.equal(mail.text, "Thanks");
    assert.equal(mail.html, "<p>Thanks</p>");
    assert.equal(rawHeader(mail, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    assert.equal(rawHeader(mail, "List-Unsubscribe"), "<https://journeys.example/u/abc>");
    assert.match(raw, /^MIME-Version: 1\.0$/m);
    assert.match(raw, /^Content-Type: multipart\/alternative; boundary="=_b0"$/m);
    assert.equal(raw.match(/Content-Transfer-Encoding: 7bit/g)?.length, 2);
  });

  it("encodes non-ASCII names, subjects and bodies, and reads them back unchanged", async () => {
    const email = {
      ...base,
      from: { name: "Café Müller", address: "news@café.example" },
      subject: "Grüße, Jürgen — 20 % auf alles",
      text: "Hallo Jürgen,\nschön, dass du da bist.\n",
      html: "<p>Hallo Jürgen, schön, dass du da bist.</p>",
    };
    const { raw, mail } = await roundTrip(email);
    assert.equal(mail.subject, email.subject);
    // On the wire the domain is punycode; mailparser shows it in Unicode again.
    assert.deepEqual(firstAddress(mail.from), { name: "Café Müller", address: "news@café.example" });
    assert.match(raw, /^From: .* <news@xn--caf-dma\.example>$/m);
    assert.equal(lf(mail.text ?? ""), email.text);
    assert.equal(mail.html, email.html);
    assert.match(raw, /Content-Transfer-Encoding: quoted-printable/);
    assert.equal(/[^\p{ASCII}]/u.test(raw), false, "only ASCII on the wire");
  });

  it("uses base64 for mostly non-Latin text, as nodemailer does", async () => {
    const email = {
      ...base,
      subject: "ご注文ありがとうございます",
      text: "ご注文ありがとうございます。",
      html: "<p>ご注文</p>",
    };
    const { raw, mail } = await roundTrip(email);
    assert.equal(mail.subject, email.subject);
    assert.equal(mail.text, email.text);
    assert.equal(mail.html, email.html);
    assert.match(raw, /Content-Transfer-Encoding: base64/);
  });

  it("folds long headers and wraps long body lines, losing nothing", async () => {
    const email = {
      ...base,
      subject: `A very long subject ${"that goes on ".repeat(12)}and ends`,
      html: `<p>${"word ".repeat(400)}</p>`,
      headers: { "List-Unsubscribe": `<https://journeys.example/u/${"t".repeat(300)}>` },
    };
    const { raw, mail } = await roundTrip(email);
    assert.equal(mail.subject, email.subject);
    assert.equal(mail.html, email.html);
    assert.equal(
      rawHeader(mail, "List-Unsubscribe"),
      email.headers["List-Unsubscribe"],
      "a long link is never split",
    );
    assert.ok(
      raw.split("\r\n").some((line) => line.startsWith(" ")),
      "the subject is folded",
    );
  });

  it("keeps a header value on one line: a line break cannot add a header", async () => {
    const { mail } = await roundTrip({ ...base, subject: "Hi\r\nBcc: eve@evil.example" });
    assert.equal(mail.subject, "Hi Bcc: eve@evil.example");
    assert.equal(mail.bcc, undefined);
  });

  it("reads back random text, names and subjects unchanged (seeded)", async () => {
    const rand = prng(7);
    const alphabet = ["a", "Z", "0", " ", ".", "\n", "=", "ü", "€", "语", "😀", "\t", '"', "<", "-", "_"];
    const text = (max: number) => Array.from({ length: rand.int(max) }, () => rand.pick(alphabet)).join("");
    for (let i = 0; i < 150; i++) {
      const subject = text(120)
        .replace(/[\n\t]/g, " ")
        .trim()
        .replace(/ {2,}/g, " ");
      const name = text(30)
        .replace(/[\n\t]/g, " ")
        .trim()
        .replace(/ {2,}/g, " ");
      const email = {
        ...base,
        from: { name, address: "news@shop.example" },
        subject,
        text: text(400),
        html: `<p>${text(400)}</p>`,
      };
      const { mail } = await roundTrip(email);
      const seed = `case ${i}`;
      assert.equal(mail.subject ?? "", subject, seed);
      assert.equal(firstAddress(mail.from)?.name ?? "", name, seed);
      assert.equal(lf(mail.text ?? "").replace(/\n$/, ""), lf(email.text).replace(/\n$/, ""), seed);
      assert.equal(lf(mail.html || ""), lf(email.html), seed);
    }
  });
});

describe("asciiDomain", () => {
  it("punycodes the domain and keeps the local part", () => {
    assert.equal(asciiDomain("ada@jõgeva.ee"), "ada@xn--jgeva-dua.ee");
    assert.equal(asciiDomain("jürgen@example.com"), "jürgen@example.com");
    assert.equal(asciiDomain("<ada@example.com>"), "ada@example.com");
  });
});
