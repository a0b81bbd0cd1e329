// CSV import on the Customers tab: pick a file, see where each column goes (and change it),
// choose what happens to customers already known, then read the report — every rejected row
// with its spreadsheet row number and reason.
import { CHANNELS } from "./api.js";
import { count, field, h, notice } from "./dom.js";

const FIELDS = ["email", "phone", "userId", "timezone", "locale"];
const MAX_BYTES = 50 * 1024 * 1024;

/** The column targets the server takes, offered as suggestions. */
const SUGGESTIONS = [
  ...FIELDS,
  ...CHANNELS.map((c) => `subscriptions.${c}`),
  "attributes.name",
  "attributes.plan",
  "attributes.age:number",
  "attributes.vip:boolean",
  "attributes.birthday:date",
];

/** Where a header goes when nobody says otherwise (the server's default, written out). */
function defaultTarget(header) {
  const name = header.trim();
  const field = FIELDS.find((f) => f.toLowerCase() === name.toLowerCase());
  if (field) return field;
  if (/^(attributes\.|subscriptions\.|topics\.)/.test(name)) return name;
  return `attributes.${name}`;
}

/**
 * The first record of a CSV text: its cells, quotes undone (`"a, b"` → `a, b`), a byte-order
 * mark dropped.
 *
 * @example csvHeader('email,"Full name"\nada@x.test,Ada') // → ["email", "Full name"]
 */
export function csvHeader(text) {
  const cells = [];
  let cell = "";
  let quoted = false;
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      cells.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") break;
    else cell += c;
  }
  cells.push(cell);
  return cells;
}

/** The import card; `done` runs after an import finished (to refresh the list). */
export function importCard(call, close, done) {
  const status = notice();
  const file = h("input", { id: "import-file", type: "file", accept: ".csv,text/csv", required: true });
  const columns = h("div", { class: "columns" });
  const onDuplicate = h(
    "select",
    { id: "import-duplicates" },
    h("option", { value: "update" }, "Update them with the file's values"),
    h("option", { value: "skip" }, "Leave them as they are (skip the row)"),
  );
  const report = h("div");
  const submit = h("button", { type: "submit", disabled: true }, "Import");
  const suggestions = h(
    "datalist",
    { id: "import-targets" },
    SUGGESTIONS.map((s) => h("option", { value: s })),
  );
  let inputs = [];

  file.addEventListener("change", async () => {
    status.clear();
    report.replaceChildren();
    columns.replaceChildren();
    inputs = [];
    const chosen = file.files?.[0];
    submit.disabled = true;
    if (!chosen) return;
    if (chosen.size > MAX_BYTES) {
      status.error(
        "Cannot import this file",
        new Error(`it is ${count(chosen.size)} bytes; the limit is 50 MB`),
      );
      return;
    }
    const header = csvHeader(await chosen.slice(0, 65_536).text());
    inputs = header.map((name, i) => {
      const input = h("input", {
        id: `import-column-${i}`,
        list: "import-targets",
        value: defaultTarget(name),
        "data-column": name,
        placeholder: "(ignored)",
      });
      return input;
    });
    columns.replaceChildren(
      h(
        "p",
        { class: "muted" },
        "Where each column goes; empty ignores the column. A type after a colon stores numbers, booleans or dates.",
      ),
      ...inputs.map((input) => field(`Column "${input.dataset.column}"`, input)),
    );
    submit.disabled = false;
  });

  const form = h(
    "form",
    {
      class: "card",
      "aria-label": "Import customers",
      onsubmit: async (event) => {
        event.preventDefault();
        const chosen = file.files?.[0];
        if (!chosen) return;
        const mapping = {};
        for (const input of inputs) mapping[input.dataset.column] = input.value.trim() || null;
        const params = new URLSearchParams({
          mapping: JSON.stringify(mapping),
          onDuplicate: onDuplicate.value,
        });
        submit.disabled = true;
        status.ok(`Importing ${chosen.name}…`);
        try {
          const result = await call.upload(`/customers/imports?${params}`, chosen, "text/csv");
          status.clear();
          report.replaceChildren(importReport(result));
          await done();
        } catch (error) {
          status.error(`Could not import ${chosen.name}`, error);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h2", {}, "Import customers from CSV"),
    h(
      "p",
      { class: "muted" },
      "Up to 50 MB and 50,000 rows; the first row names the columns. Rows match a known customer by userId, else email.",
    ),
    field("CSV file", file),
    columns,
    suggestions,
    field("Customers already known", onDuplicate),
    status.element,
    report,
    h(
      "div",
      { class: "buttons" },
      submit,
      h("button", { type: "button", class: "secondary", onclick: close }, "Close"),
    ),
  );
  return form;
}

function importReport(result) {
  const summary = `${count(result.totalRows)} rows: ${count(result.created)} created, ${count(result.updated)} updated, ${count(result.skipped)} skipped, ${count(result.rejected.length)} rejected.`;
  return h(
    "div",
    { class: "import-report", role: "status" },
    h("p", { class: result.rejected.length ? "" : "success" }, summary),
    result.rejected.length
      ? h(
          "table",
          { "aria-label": "Rejected rows" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Row", "Code", "Reason"].map((t) => h("th", { scope: "col" }, t)),
            ),
          ),
          h(
            "tbody",
            {},
            result.rejected.map((r) =>
              h(
                "tr",
                {},
                h("td", { class: "number" }, String(r.row)),
                h("td", {}, h("code", {}, r.code)),
                h("td", {}, r.reason),
              ),
            ),
          ),
        )
      : null,
  );
}
