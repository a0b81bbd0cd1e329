// A journey's enrollments, newest first, each with its trail: the answer to "why did (not) this
// customer get that message?" (entered, waited, branch taken and why, sent / skipped and why,
// exited and why). Opened from a journey's name on the Journeys tab.
import { h, when } from "./dom.js";
import { pager } from "./pager.js";

const PAGE = 25;
const STATES = [
  ["", "All"],
  ["active", "Active"],
  ["waiting", "Waiting"],
  ["exited", "Exited"],
];

/** A card listing `journey`'s enrollments; `close` removes it. */
export function enrollmentsCard(call, journey, close, failed) {
  const base = `/journeys/${encodeURIComponent(journey.id)}/enrollments`;
  const state = h(
    "select",
    { id: "enrollment-state", "aria-label": "Show enrollments" },
    STATES.map(([value, label]) => h("option", { value }, label)),
  );
  const list = pager({
    fetchPage: (cursor) => {
      const params = new URLSearchParams({ limit: String(PAGE) });
      if (state.value) params.set("state", state.value);
      if (cursor) params.set("cursor", cursor);
      return call("GET", `${base}?${params}`);
    },
    render: (e) => enrollmentRow(call, base, e, failed),
    onError: (error) => failed(`Could not load the enrollments of "${journey.name}"`, error),
    emptyText: () =>
      state.value ? `No enrollment is ${state.value} now.` : "No one has entered this journey yet.",
  });
  state.addEventListener("change", () => void list.reload());

  const card = h(
    "section",
    { class: "card", "aria-label": `Enrollments in ${journey.name}` },
    h(
      "div",
      { class: "title-row" },
      h("h2", { tabindex: "-1" }, `Enrollments in ${journey.name}`),
      h(
        "div",
        { class: "buttons" },
        state,
        h("button", { type: "button", class: "secondary", onclick: close }, "Close"),
      ),
    ),
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Customer", "State", "At step", "Version", "Entered", "Updated", ""].map((t) =>
            h("th", { scope: "col" }, t),
          ),
        ),
      ),
      list.rows,
    ),
    list.empty,
    list.more,
  );
  void list.reload();
  return card;
}

function enrollmentRow(call, base, e, failed) {
  const trail = h("tr", { class: "trail-row", hidden: true }, h("td", { colspan: "7" }));
  const toggle = h("button", { type: "button", class: "secondary", "aria-expanded": "false" }, "Trail");
  toggle.addEventListener("click", async () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    trail.hidden = !open;
    if (!open) return;
    try {
      const full = await call("GET", `${base}/${encodeURIComponent(e.id)}`);
      trail.firstChild.replaceChildren(trailList(full));
    } catch (error) {
      failed("Could not load the trail", error);
    }
  });
  const where = e.state === "exited" ? `exited (${e.exitReason ?? "?"})` : (e.nodeId ?? "—");
  return [
    h(
      "tr",
      { "data-enrollment": e.id },
      h("td", {}, h("code", {}, e.customerId)),
      h("td", {}, h("span", { class: `status status-${e.state}` }, e.state)),
      h("td", {}, where),
      h("td", {}, `v${e.version}`),
      h("td", {}, when(e.enteredAt)),
      h("td", {}, when(e.updatedAt)),
      h("td", { class: "actions" }, toggle),
    ),
    trail,
  ];
}

function trailList(enrollment) {
  const sent = new Map(enrollment.deliveries.map((d) => [d.nodeId, d]));
  return h(
    "ol",
    { class: "timeline trail" },
    enrollment.trail.map((entry) => {
      const delivery = entry.type === "queued" ? sent.get(entry.nodeId) : undefined;
      return h(
        "li",
        { "data-type": entry.type },
        h("time", {}, when(entry.at)),
        " ",
        entry.message ?? entry.type,
        delivery
          ? h(
              "span",
              { class: "muted" },
              ` (now ${delivery.status}${delivery.messageId ? `, ${delivery.messageId}` : ""})`,
            )
          : null,
      );
    }),
  );
}
