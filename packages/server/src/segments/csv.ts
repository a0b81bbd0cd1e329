/**
 * A small RFC 4180 reader for member lists: comma-separated, fields optionally in double
 * quotes (a quote inside doubled), CRLF or LF line ends, a BOM tolerated. Each record keeps
 * the file line it starts on, so a report can point a spreadsheet user at it.
 *
 * @example
 *   readCsv('email\n"a@x.com"\n'); // [{ line: 1, fields: ["email"] }, { line: 2, fields: ["a@x.com"] }]
 */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export function readCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = () => {
    fields.push(field);
    // A blank line is no record.
    if (fields.length > 1 || fields[0] !== "") records.push({ line: start, fields });
    fields = [];
    field = "";
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === "\n") line++;
        field += ch;
      }
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      fields.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      start = line;
    } else field += ch;
  }
  if (field !== "" || fields.length > 0) endRecord();
  return records;
}
