// The Customers tab (?component=customers): search by email, userId or phone prefix, page through
// the list, and open a profile — fields, attributes, subscriptions, segments and the timeline of
// events, segment changes and messages — to edit, export (GDPR) and erase; add one; import a CSV file.
import { customerForm } from "./customer-form.js";
import { importCard } from "./customer-import.js";
import { field, h, notice, when } from "./dom.js";
import { pager } from "./pager.js";

const PAGE = 25;

/** Renders the tab into `root`; `call` is the business's API. */
export async function customersTab(call, root) {
  const status = notice();
  const search = h("input", {
    id: "customer-search",
    type: "search",
    maxlength: 320,
    placeholder: "ada@example.com, a userId or +44…",
  });
  let query = "";
  const list = pager({
    fetchPage: (cursor) => {
      const params = new URLSearchParams({ limit: String(PAGE) });
      if (query) params.set("q", query);
      if (cursor) params.set("cursor", cursor);
      return call("GET", `/customers?${params}`);
    },
    render: (c) => customerRow(c, () => open(c.id)),
    onError: (error) => status.error("Could not load customers", error),
    emptyText: () => (query ? "No customers match." : "No customers yet."),
  });
  /** The list from its first page, for what the search box says now. */
  const load = () => {
    query = search.value.trim();
    return list.reload();
  };
  const profile = h("div");
  const importPanel = h("div");
  const importButton = h("button", { type: "button", "aria-expanded": "false" }, "Import CSV");
  importButton.addEventListener("click", () => {
    status.clear();
    importButton.setAttribute("aria-expanded", "true");
    importPanel.replaceChildren(
      importCard(
        call,
        () => {
          importPanel.replaceChildren();
          importButton.setAttribute("aria-expanded", "false");
        },
        () => load(),
      ),
    );
    importPanel.querySelector("input")?.focus();
  });
  const newButton = h("button", { type: "button", class: "secondary" }, "+ New customer");
  newButton.addEventListener("click", () => {
    status.clear();
    profile.replaceChildren(
      customerForm(
        null,
        async (body) => {
          const created = await call("POST", "/customers", body);
          status.ok(`Created ${nameOf(created)}.`);
          await open(created.id, false);
          await load();
        },
        () => profile.replaceChildren(),
      ),
    );
    profile.querySelector("input")?.focus();
  });

  const table = h(
    "table",
    { "aria-label": "Customers" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Customer", "User ID", "Phone", "Email subscription", "Created"].map((t) =>
          h("th", { scope: "col" }, t),
        ),
      ),
    ),
    list.rows,
  );

  root.replaceChildren(
    h(
      "div",
      { class: "title-row" },
      h("h1", {}, "Customers"),
      h("div", { class: "buttons" }, newButton, importButton),
    ),
    h(
      "p",
      { class: "muted" },
      "Everyone your business knows: created by identify and track calls, CSV imports and the API.",
    ),
    h(
      "form",
      {
        class: "search-row",
        role: "search",
        onsubmit: (event) => {
          event.preventDefault();
          void load();
        },
      },
      field("Search customers", search, "The start of an email, a userId or a phone number."),
      h("button", { type: "submit" }, "Search"),
    ),
    importPanel,
    status.element,
    profile,
    h("div", { class: "card" }, table, list.empty, list.more),
  );

  /** Shows the customer's profile; `clear` drops the last notice first. */
  async function open(customerId, clear = true) {
    if (clear) status.clear();
    try {
      profile.replaceChildren(
        await profileCard(call, customerId, {
          close: () => profile.replaceChildren(),
          edit: (customer) => {
            status.clear();
            profile.replaceChildren(
              customerForm(
                customer,
                async (body) => {
                  const saved = await call("PATCH", `/customers/${encodeURIComponent(customer.id)}`, body);
                  status.ok(`Saved ${nameOf(saved)}.`);
                  await open(customer.id, false);
                },
                () => open(customer.id),
              ),
            );
            profile.querySelector("input")?.focus();
          },
          erased: async (name) => {
            profile.replaceChildren();
            status.ok(`${name} was erased. Their events, messages and journeys are gone for good.`);
            await load();
          },
          failed: (what, error) => status.error(what, error),
        }),
      );
      profile.querySelector("h2")?.focus();
    } catch (error) {
      status.error("Could not open the customer", error);
    }
  }

  await load();
}

/** How a customer is named on screen: email, else userId, else the id. */
const nameOf = (c) => c.email ?? c.userId ?? c.id;

function customerRow(c, open) {
  return h(
    "tr",
    { "data-customer": c.id },
    h("td", {}, h("button", { type: "button", class: "link", onclick: open }, nameOf(c))),
    h("td", {}, c.userId ?? "—"),
    h("td", {}, c.phone ?? "—"),
    h("td", {}, c.subscriptions.email),
    h("td", {}, when(c.createdAt)),
  );
}

async function profileCard(call, customerId, on) {
  const path = `/customers/${encodeURIComponent(customerId)}`;
  const c = await call("GET", `${path}?timelineLimit=50`);
  const timeline = h("ol", { class: "timeline" });
  const older = h("button", { type: "button", class: "secondary" }, "Older");
  const showTimeline = (page) => {
    timeline.append(...page.entries.map(timelineItem));
    older.hidden = page.nextCursor === null;
    older.onclick = async () => {
      try {
        const params = new URLSearchParams({ timelineLimit: "50", timelineCursor: page.nextCursor });
        showTimeline((await call("GET", `${path}?${params}`)).timeline);
      } catch (error) {
        on.failed("Could not load older activity", error);
      }
    };
  };
  showTimeline(c.timeline);
  if (c.timeline.entries.length === 0) timeline.append(h("li", { class: "muted" }, "No activity yet."));

  const exportJson = async () => {
    try {
      const data = await call("GET", `${path}/export`);
      const link = h("a", {
        href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" })),
        download: `customer-${c.id}.json`,
      });
      link.click();
      // Revoked later: the download may still be reading it after click() returns.
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    } catch (error) {
      on.failed("Could not export the customer", error);
    }
  };
  const erase = async () => {
    if (
      !confirm(
        `Erase ${nameOf(c)}? Their profile, events, messages and journeys are deleted for good, and they are not re-created from their userId, email or phone.`,
      )
    )
      return;
    try {
      await call("DELETE", path);
      await on.erased(nameOf(c));
    } catch (error) {
      on.failed("Could not erase the customer", error);
    }
  };

  const facts = [
    ["User ID", c.userId],
    ["Email", c.email],
    ["Phone", c.phone],
    ["Time zone", c.timezone],
    ["Locale", c.locale],
    ["Created", when(c.createdAt)],
    ["Updated", when(c.updatedAt)],
  ];
  return h(
    "section",
    { class: "card profile", "aria-label": `Customer ${nameOf(c)}` },
    h(
      "div",
      { class: "title-row" },
      h("h2", { tabindex: "-1" }, nameOf(c)),
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", class: "secondary", onclick: () => on.edit(c) }, "Edit"),
        h("button", { type: "button", class: "secondary", onclick: exportJson }, "Export JSON"),
        h("button", { type: "button", class: "danger", onclick: erase }, "Erase"),
        h("button", { type: "button", class: "secondary", onclick: on.close }, "Close"),
      ),
    ),
    h(
      "dl",
      { class: "facts" },
      facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]),
    ),
    h("h3", {}, "Attributes"),
    Object.keys(c.attributes).length === 0
      ? h("p", { class: "muted" }, "None.")
      : h(
          "dl",
          { class: "facts attributes" },
          Object.entries(c.attributes).map(([k, v]) => [h("dt", {}, k), h("dd", {}, JSON.stringify(v))]),
        ),
    h("h3", {}, "Subscriptions"),
    h(
      "dl",
      { class: "facts subscriptions" },
      Object.entries(c.subscriptions).map(([channel, state]) => [h("dt", {}, channel), h("dd", {}, state)]),
    ),
    Object.keys(c.topics ?? {}).length === 0
      ? null
      : [
          h("h4", {}, "By communication type"),
          h(
            "dl",
            { class: "facts topics" },
            Object.entries(c.topics).map(([topic, channels]) => [
              h("dt", {}, topic),
              h(
                "dd",
                {},
                Object.entries(channels)
                  .map(([channel, state]) => `${channel} ${state}`)
                  .join(", "),
              ),
            ]),
          ),
        ],
    h("h3", {}, "Segments"),
    c.segments.length === 0
      ? h("p", { class: "muted" }, "In no segment.")
      : h(
          "ul",
          { class: "segments" },
          c.segments.map((s) =>
            h(
              "li",
              {},
              s.segmentName ?? s.segmentId,
              h("span", { class: "muted" }, ` since ${when(s.since)}`),
            ),
          ),
        ),
    h("h3", {}, "Activity"),
    timeline,
    older,
  );
}

/** One line of the timeline, newest first: an event, a segment change or a message. */
function timelineItem(entry) {
  let text;
  if (entry.kind === "event") {
    const props = Object.keys(entry.properties ?? {}).length ? ` ${JSON.stringify(entry.properties)}` : "";
    text = `${entry.type === "track" ? `Tracked "${entry.name}"` : `${entry.type}${entry.name ? ` "${entry.name}"` : ""}`}${props}`;
  } else if (entry.kind === "segment") {
    text = `${entry.change === "joined" ? "Joined" : "Left"} segment ${entry.segmentName ?? entry.segmentId}`;
  } else {
    const why = entry.detail?.message ?? entry.detail?.error;
    text = `${entry.channel} message (template ${entry.templateId}): ${entry.status}${why ? ` — ${why}` : ""}`;
  }
  return h("li", { "data-kind": entry.kind }, h("time", {}, when(entry.at)), " ", text);
}
