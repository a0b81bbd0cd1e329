// DOM building without HTML parsing: API data only ever becomes text nodes or attribute values.

/**
 * Creates an element. `attrs`: `class`, `value` (a property), `on<event>` listeners, and any other
 * attribute (`true` sets it empty; `false`, null and undefined leave it out). Children are nodes
 * or text; arrays are flattened and empty ones skipped.
 *
 * @example h("p", { class: "muted" }, "Hello ", h("code", {}, name))
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "class") element.className = value;
    else if (key === "value") element.value = value;
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  element.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/** A label and its control, tied by id. */
export function field(label, control, hint) {
  return h(
    "div",
    { class: "field" },
    h("label", { for: control.id }, label),
    control,
    hint ? h("p", { class: "muted hint" }, hint) : null,
  );
}

export const count = (n) => n.toLocaleString("en-US");
export const when = (ms) => (ms === null || ms === undefined ? "—" : new Date(ms).toLocaleString());

/** A place for the outcome of the user's last action: a success line or an error with its problems. */
export function notice() {
  const box = h("div", { class: "notice", "aria-live": "polite" });
  return {
    element: box,
    clear: () => box.replaceChildren(),
    ok: (text) => box.replaceChildren(h("p", { class: "success", role: "status" }, text)),
    error: (what, error) => box.replaceChildren(errorReport(what, error)),
  };
}

/**
 * An API error as the user reads it: what failed, the API's message, and every problem it listed
 * (activation problems carry a code and a node id; definition problems a JSON path; request
 * problems a field).
 */
export function errorReport(what, error) {
  const details = error.details ?? {};
  const items = [
    ...(details.problems ?? []).map(problemItem),
    ...(details.fields ?? []).map((f) => h("li", {}, h("code", {}, f.field), ` ${f.message}`)),
  ];
  const warnings = (details.warnings ?? []).map(problemItem);
  return h(
    "div",
    { class: "alert", role: "alert" },
    h("p", {}, h("strong", {}, `${what}: `), error.message),
    error.status ? h("p", { class: "muted" }, `HTTP ${error.status} · ${error.code}`) : null,
    items.length ? h("ul", { class: "problems" }, items) : null,
    warnings.length ? [h("p", {}, "Warnings:"), h("ul", { class: "problems" }, warnings)] : null,
  );
}

function problemItem(p) {
  return h(
    "li",
    {},
    p.code ? h("code", {}, p.code) : null,
    p.nodeId ? [" at step ", h("code", { class: "node" }, p.nodeId)] : null,
    p.path ? h("code", {}, p.path) : null,
    p.code || p.nodeId || p.path ? " — " : null,
    p.message ?? JSON.stringify(p),
  );
}

/** Parses a textarea's JSON, naming the field when it is not JSON. */
export function parseJson(label, text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw Object.assign(new Error(`${label} is not valid JSON (${error.message})`), { code: "invalid_json" });
  }
}
