import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CsvError, parseCsv } from "./csv";

async function parse(text: string, chunkSize = 1 << 20): Promise<string[][]> {
  async function* chunks() {
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const out: string[][] = [];
  for await (const record of parseCsv(chunks())) out.push(record.fields);
  return out;
}

describe("parseCsv", () => {
  it("reads RFC 4180: quoted commas, line breaks and doubled quotes, CRLF, BOM", async () => {
    const text = '\ufeffemail,name,note\r\na@b.co,"Smith, Ada","two\r\nlines, ""quoted"""\r\nc@d.co,Bob,';
    const expected = [
      ["email", "name", "note"],
      ["a@b.co", "Smith, Ada", 'two\r\nlines, "quoted"'],
      ["c@d.co", "Bob", ""],
    ];
    // Every chunk size, so a quote, a CR/LF pair or a multi-byte character split across chunks is seen.
    for (const size of [1, 2, 3, 5, 7, 64])
      assert.deepEqual(await parse(text, size), expected, `chunks of ${size}`);
  });

  it("accepts LF and lone CR line ends, a final line break, multi-byte text, empty quoted fields", async () => {
    assert.deepEqual(await parse('a,b\nü€,""\r"x",y\n'), [
      ["a", "b"],
      ["ü€", ""],
      ["x", "y"],
    ]);
  });

  it("keeps blank lines as a one-empty-field record, like a spreadsheet row", async () => {
    assert.deepEqual(await parse("a\n\nb\n"), [["a"], [""], ["b"]]);
  });

  it("reports where an unterminated quote starts and text after a closing quote", async () => {
    await assert.rejects(parse('a,b\n1,"open\n2,3\n'), (e: unknown) => e instanceof CsvError && e.line === 2);
    await assert.rejects(
      parse('a\n"x"y\n'),
      (e: unknown) => e instanceof CsvError && /closing quote/.test(e.message),
    );
  });

  it("gives each record the line it starts on", async () => {
    const lines: number[] = [];
    async function* one() {
      yield 'h\n"a\nb"\nc\n';
    }
    for await (const record of parseCsv(one())) lines.push(record.line);
    assert.deepEqual(lines, [1, 2, 4]);
  });

  it("refuses a record longer than the limit instead of buffering it", async () => {
    async function* big() {
      yield `"${"x".repeat(100)}`;
    }
    await assert.rejects(async () => {
      for await (const _ of parseCsv(big(), { maxRecordLength: 50 })) {
      }
    }, /longer than 50/);
  });
});
