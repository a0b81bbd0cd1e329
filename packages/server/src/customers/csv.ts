import { StringDecoder } from "node:string_decoder";

/** One record of a CSV file. `line` is the physical line it starts on (1-based). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** A file that is not CSV; `line` is where the parser gave up. */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export interface CsvOptions {
  /** A record longer than this (in characters) is an error, so one runaway quote cannot eat memory. */
  maxRecordLength?: number;
}

/**
 * Parses RFC 4180 CSV from a stream of UTF-8 chunks, yielding one record at a time, so a
 * 50 MB file is never held in memory. Understands quoted fields with commas, line breaks and
 * doubled quotes; CRLF, LF or CR line ends; a leading byte-order mark; a missing final line
 * break. A quote inside an unquoted field is kept as a character; text after a closing quote
 * (`"a"b`) and an unterminated quote are errors. A blank line yields a record of one empty
 * field, as in a spreadsheet.
 *
 * @example
 *   for await (const { fields, line } of parseCsv(fs.createReadStream("people.csv"))) { … }
 */
export async function* parseCsv(
  source: AsyncIterable<Buffer | string>,
  options: CsvOptions = {},
): AsyncGenerator<CsvRecord> {
  const maxRecordLength = options.maxRecordLength ?? 1_048_576;
  const decoder = new StringDecoder("utf8");
  // State carried across chunks.
  let fields: string[] = [];
  let field = "";
  let quoted = false; // inside a quoted field
  let afterQuote = false; // just saw a quote inside a quoted field: a closing or doubled quote
  let fieldStarted = false; // the current field has begun (matters for `""` at its start)
  let pendingCR = false; // a CR ended the last record; a following LF belongs to it
  let quotedCR = false; // a CR inside a quoted field; a following LF is the same line break
  let line = 1;
  let recordLine = 1;
  let recordLength = 0;
  let first = true;
  const out: CsvRecord[] = [];

  const endField = () => {
    fields.push(field);
    field = "";
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    out.push({ fields, line: recordLine });
    fields = [];
    recordLength = 0;
  };

  const feed = (text: string) => {
    let start = 0;
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) start = 1;
    }
    for (let i = start; i < text.length; i++) {
      const c = text[i]!;
      if (pendingCR) {
        pendingCR = false;
        if (c === "\n") continue;
      }
      if (++recordLength > maxRecordLength) {
        throw new CsvError(`a row is longer than ${maxRecordLength} characters`, recordLine);
      }
      if (quoted) {
        if (afterQuote) {
          afterQuote = false;
          if (c === '"') {
            field += '"';
            continue;
          }
          quoted = false; // that quote closed the field; handle c as outside quotes
        } else if (c === '"') {
          afterQuote = true;
          quotedCR = false;
          continue;
        } else {
          if (c === "\r" || (c === "\n" && !quotedCR)) line++;
          quotedCR = c === "\r";
          field += c;
          continue;
        }
        if (c !== "," && c !== "\r" && c !== "\n") {
          throw new CsvError(`unexpected ${JSON.stringify(c)} after a closing quote`, line);
        }
      }
      if (c === ",") endField();
      else if (c === "\r" || c === "\n") {
        endRecord();
        line++;
        recordLine = line;
        if (c === "\r") pendingCR = true;
      } else if (c === '"' && !fieldStarted) {
        quoted = true;
        fieldStarted = true;
      } else {
        field += c;
        fieldStarted = true;
      }
    }
  };

  for await (const chunk of source) {
    feed(typeof chunk === "string" ? chunk : decoder.write(chunk));
    yield* out.splice(0);
  }
  feed(decoder.end());
  if (quoted && !afterQuote) throw new CsvError("a quoted field is not closed", recordLine);
  if (fieldStarted || fields.length > 0 || quoted) endRecord();
  yield* out.splice(0);
}

/**
 * Every record of a CSV body already in memory (a small upload, such as a member list), read
 * by `parseCsv` with the same rules and errors.
 *
 * @example
 *   const [header, ...rows] = await readCsv('email\n"a@x.com"\n'); // rows[0]: { fields: ["a@x.com"], line: 2 }
 */
export async function readCsv(body: string | Buffer, options: CsvOptions = {}): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const record of parseCsv(
    (async function* () {
      yield body;
    })(),
    options,
  )) {
    records.push(record);
  }
  return records;
}
