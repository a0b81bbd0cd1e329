// One segment, opened from its name on the Segments tab: its size over the last 30 days, its
// members, its rule to edit (or, for a manual list, a CSV to replace or add to its members), and
// delete.
import { count, field, h, notice, parseJson, when } from "./dom.js";
import { pager } from "./pager.js";

const PAGE = 50;

/** The card of `segment`; `close` removes it, `changed` refreshes the list after an edit. */
export function segmentCard(call, segment, close, changed) {
  const path = `/segments/${encodeURIComponent(segment.id)}`;
  const status = notice();
  const history = h("div", { class: "size-history" }, h("p", { class: "muted" }, "Loading…"));
  const members = pager({
    fetchPage: (cursor) => {
      const params = new URLSearchParams({ limit: String(PAGE) });
      if (cursor) params.set("cursor", cursor);
      return call("GET", `${path}/members?${params}`);
    },
    render: (m) =>
      h(
        "tr",
        { "data-customer": m.id },
        h("td", {}, m.email ?? "—"),
        h("td", {}, m.userId ?? "—"),
        h("td", {}, m.phone ?? "—"),
        h("td", {}, when(m.since)),
      ),
    onError: (error) => status.error("Could not load the members", error),
    emptyText: () => "No members.",
  });

  async function loadHistory() {
    try {
      history.replaceChildren(sizeChart((await call("GET", `${path}/size-history?days=30`)).data));
    } catch (error) {
      status.error("Could not load the size history", error);
    }
  }

  const remove = async () => {
    if (!confirm(`Delete the segment "${segment.name}"? Journeys cannot use it any more.`)) return;
    try {
      await call("DELETE", path);
      close();
      await changed(`Deleted the segment "${segment.name}".`);
    } catch (error) {
      status.error(`Could not delete "${segment.name}"`, error);
    }
  };

  const card = h(
    "section",
    { class: "card", "aria-label": `Segment ${segment.name}` },
    h(
      "div",
      { class: "title-row" },
      h("h2", { tabindex: "-1" }, segment.name),
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", class: "danger", onclick: remove }, "Delete"),
        h("button", { type: "button", class: "secondary", onclick: close }, "Close"),
      ),
    ),
    status.element,
    h("h3", {}, "Size, last 30 days"),
    history,
    segment.rule === null
      ? listUpload(call, path, status, async () => {
          await Promise.all([members.reload(), loadHistory()]);
          await changed(null);
        })
      : ruleEditor(call, path, segment, status, async (saved) => {
          await Promise.all([members.reload(), loadHistory()]);
          await changed(`Saved "${saved.name}": ${count(saved.size)} customers match.`);
        }),
    h("h3", {}, "Members"),
    h(
      "table",
      { "aria-label": "Members" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Email", "User ID", "Phone", "Member since"].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      members.rows,
    ),
    members.empty,
    members.more,
  );
  void loadHistory();
  void members.reload();
  return card;
}

/**
 * Daily sizes as bars over 30 days ending today (UTC); a day nothing was recorded for (before the
 * segment existed) has no bar. The numbers are the text, for screen readers.
 */
function sizeChart(recorded) {
  const sizes = new Map(recorded.map((d) => [d.date, d.size]));
  const today = Date.parse(`${recorded.at(-1)?.date ?? new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  const days = Array.from({ length: 30 }, (_, i) => {
    const date = new Date(today - (29 - i) * 86_400_000).toISOString().slice(0, 10);
    return { date, size: sizes.get(date) };
  });
  const max = Math.max(1, ...recorded.map((d) => d.size));
  return h(
    "ol",
    { class: "bars", "aria-label": "Members per day" },
    days.map((d) =>
      h(
        "li",
        { title: d.size === undefined ? `${d.date}: not recorded` : `${d.date}: ${count(d.size)}` },
        d.size === undefined
          ? null
          : [
              h("span", { class: "bar", style: `height:${Math.round((d.size / max) * 100)}%` }),
              h("span", { class: "visually-hidden" }, `${d.date}: ${count(d.size)}`),
            ],
      ),
    ),
    h("li", { class: "bars-today", "aria-hidden": "true" }, count(recorded.at(-1)?.size ?? 0)),
  );
}

function ruleEditor(call, path, segment, status, saved) {
  const name = h("input", { id: "segment-edit-name", required: true, maxlength: 200, value: segment.name });
  const rule = h("textarea", { id: "segment-edit-rule", rows: 6, spellcheck: "false" });
  rule.value = JSON.stringify(segment.rule, null, 2);
  return h(
    "form",
    {
      "aria-label": "Edit segment",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const result = await call("PATCH", path, { name: name.value, rule: parseJson("Rule", rule.value) });
          status.clear();
          await saved(result);
        } catch (error) {
          status.error("Could not save the segment", error);
        }
      },
    },
    h("h3", {}, "Rule"),
    field("Name", name),
    field("Rule (JSON)", rule, "Saving recomputes the members; joins and leaves reach journeys at once."),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Save")),
  );
}

function listUpload(call, path, status, uploaded) {
  const file = h("input", { id: "list-file", type: "file", accept: ".csv,text/csv", required: true });
  const result = h("div");
  const send = async (method, verb) => {
    const chosen = file.files?.[0];
    if (!chosen)
      return status.error("Choose a file", new Error("pick a CSV file with an id, userId or email column"));
    try {
      const change = await call.upload(`${path}/members`, chosen, "text/csv", method);
      status.clear();
      result.replaceChildren(
        h(
          "div",
          { role: "status", class: "list-result" },
          h(
            "p",
            {},
            `${verb}: ${count(change.joined)} joined, ${count(change.left)} left; ${count(change.size)} members now.`,
          ),
          change.unknown.length
            ? h(
                "ul",
                { class: "problems" },
                change.unknown.map((u) =>
                  h("li", {}, `Line ${u.line ?? (u.index ?? 0) + 1}: ${u.value} — ${u.reason}`),
                ),
              )
            : null,
        ),
      );
      await uploaded();
    } catch (error) {
      status.error("Could not change the list", error);
    }
  };
  return h(
    "div",
    { class: "list-upload" },
    h("h3", {}, "Manual list"),
    field("CSV of members", file, "A header naming an id, userId or email column."),
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "button", onclick: () => send("PUT", "Replaced") }, "Replace members"),
      h(
        "button",
        { type: "button", class: "secondary", onclick: () => send("POST", "Added") },
        "Add to members",
      ),
    ),
    result,
  );
}
