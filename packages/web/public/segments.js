// The Segments tab (?component=segments): the list with sizes and a readable rule (click a name
// for its members, size over time, rule or manual list, and delete), and a form that previews a
// rule (count + sample) before saving it.
import { count, field, h, notice, parseJson } from "./dom.js";
import { segmentCard } from "./segment-detail.js";

const EXAMPLE_RULE = { all: [{ subscribed: "email" }, { attribute: "email", op: "exists" }] };

/** Renders the tab into `root`; `call` is the business's API. */
export async function segmentsTab(call, root) {
  const status = notice();
  const list = h("div", { class: "card" }, h("p", { class: "muted" }, "Loading segments…"));
  const form = segmentForm(call, status, () => refresh());
  const panel = h("div");
  root.replaceChildren(
    h("h1", {}, "Segments"),
    h("p", { class: "muted" }, "Groups of customers that journeys and broadcasts target."),
    status.element,
    panel,
    list,
    form,
  );

  function open(segment) {
    status.clear();
    panel.replaceChildren(
      segmentCard(
        call,
        segment,
        () => panel.replaceChildren(),
        async (message) => {
          if (message) status.ok(message);
          await refresh();
        },
      ),
    );
    panel.querySelector("h2")?.focus();
  }

  async function refresh() {
    const segments = (await call("GET", "/segments")).data;
    const names = new Map(segments.map((s) => [s.id, s.name]));
    list.replaceChildren(
      segments.length === 0
        ? h("p", { class: "muted" }, "No segments yet. Create one below.")
        : h(
            "table",
            {},
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Name", "Size", "Rule"].map((t) => h("th", { scope: "col" }, t)),
              ),
            ),
            h(
              "tbody",
              {},
              segments.map((s) =>
                h(
                  "tr",
                  { "data-segment": s.id },
                  h("td", {}, h("button", { type: "button", class: "link", onclick: () => open(s) }, s.name)),
                  h("td", { class: "number" }, count(s.size)),
                  h("td", {}, s.rule === null ? h("em", {}, "manual list") : ruleSummary(s.rule, names)),
                ),
              ),
            ),
          ),
    );
  }
  await refresh();
}

function segmentForm(call, status, refresh) {
  const name = h("input", { id: "segment-name", name: "name", required: true, maxlength: 200 });
  const rule = h("textarea", { id: "segment-rule", rows: 8, spellcheck: "false" });
  rule.value = JSON.stringify(EXAMPLE_RULE, null, 2);
  const preview = h("div", { class: "preview", "aria-live": "polite" });
  const readRule = () => parseJson("Rule", rule.value);
  return h(
    "form",
    {
      class: "card",
      "aria-label": "New segment",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const created = await call("POST", "/segments", { name: name.value, rule: readRule() });
          status.ok(`Created the segment "${created.name}" with ${count(created.size)} customers.`);
          event.target.reset();
          rule.value = JSON.stringify(EXAMPLE_RULE, null, 2);
          preview.replaceChildren();
          await refresh();
        } catch (error) {
          status.error("Could not create the segment", error);
        }
      },
    },
    h("h2", {}, "New segment"),
    field("Name", name),
    field(
      "Rule (JSON)",
      rule,
      "A condition: all / any / not, { attribute, op, value }, { event, op, count, withinDays }, " +
        "{ subscribed: channel }, { inSegment: id } — or null for a manual list.",
    ),
    preview,
    h(
      "div",
      { class: "buttons" },
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: async () => {
            try {
              const result = await call("POST", "/segments/preview", { rule: readRule() });
              status.clear();
              preview.replaceChildren(previewOf(result));
            } catch (error) {
              preview.replaceChildren();
              status.error("Could not preview the rule", error);
            }
          },
        },
        "Preview",
      ),
      h("button", { type: "submit" }, "Create segment"),
    ),
  );
}

function previewOf({ count: n, sample }) {
  const emails = sample.map((c) => c.email ?? c.userId ?? c.id);
  return h(
    "div",
    { class: "preview-result", role: "status" },
    h("p", {}, h("strong", {}, `${count(n)} ${n === 1 ? "customer matches" : "customers match"}`), " now."),
    emails.length ? h("p", { class: "muted" }, "For example: ", emails.join(", ")) : null,
  );
}

/** A rule in words, e.g. `subscribed to email and email exists`. */
export function ruleSummary(rule, segmentNames) {
  const group = (parts, word) => parts.map((p) => wrap(p, segmentNames)).join(` ${word} `);
  if (rule.all) return group(rule.all, "and");
  if (rule.any) return group(rule.any, "or");
  if (rule.not) return `not ${wrap(rule.not, segmentNames)}`;
  if (rule.subscribed) return `subscribed to ${rule.subscribed}`;
  if (rule.inSegment) return `in segment ${segmentNames.get(rule.inSegment) ?? rule.inSegment}`;
  if (rule.attribute) {
    const value = rule.value === undefined ? "" : ` ${JSON.stringify(rule.value)}`;
    return `${rule.attribute} ${rule.op}${value}`;
  }
  if (rule.event) {
    const within = rule.withinDays ? ` in ${rule.withinDays} days` : "";
    return `did "${rule.event}" ${rule.op} ${rule.count ?? 1}×${within}`;
  }
  return JSON.stringify(rule);
}

function wrap(rule, segmentNames) {
  const text = ruleSummary(rule, segmentNames);
  return rule.all || rule.any ? `(${text})` : text;
}
