// The Journeys tab: the list (archived ones on request) with its actions (⋯ menu: edit, simulate,
// duplicate, lifecycle), each journey's enrollments and their trails (click its name), and JSON
// forms to create and edit a journey.
import { count, field, h, notice, parseJson, when } from "./dom.js";
import { enrollmentsCard } from "./enrollments.js";
import { simulateCard } from "./simulate.js";

/** What each status lets the user do next (DESIGN §1: archive is terminal). */
const ACTIONS = {
  draft: ["edit", "simulate", "duplicate", "activate", "archive"],
  active: ["edit", "simulate", "duplicate", "pause", "archive"],
  paused: ["edit", "simulate", "duplicate", "activate", "archive"],
  archived: ["duplicate"],
};
const LABELS = {
  edit: "Edit",
  simulate: "Simulate",
  duplicate: "Duplicate",
  activate: "Activate",
  pause: "Pause",
  archive: "Archive",
};
const DONE = { activate: "is active: it enrolls customers now", pause: "is paused", archive: "was archived" };

// A click outside an open ⋯ menu closes it.
document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll(".menu:not([hidden])")) {
    if (menu.parentElement.contains(event.target)) continue;
    menu.hidden = true;
    menu.previousElementSibling.setAttribute("aria-expanded", "false");
  }
});

/** Renders the tab into `root`; `call` is the business's API. */
export async function journeysTab(call, root) {
  const status = notice();
  const list = h("div", { class: "card" }, h("p", { class: "muted" }, "Loading journeys…"));
  const form = h("div");
  const panel = h("div");
  const newButton = h("button", { type: "button", "aria-expanded": "false" }, "+ New journey");
  const showArchived = h("input", { id: "show-archived", type: "checkbox" });
  showArchived.addEventListener("change", () => void refresh());
  newButton.addEventListener("click", () => openForm(null));
  root.replaceChildren(
    h("div", { class: "title-row" }, h("h1", {}, "Journeys"), newButton),
    h(
      "p",
      { class: "muted" },
      "Automated campaigns that run for every customer who meets the entry condition.",
    ),
    status.element,
    form,
    panel,
    h("p", {}, showArchived, h("label", { for: "show-archived" }, "Show archived journeys")),
    list,
  );

  async function refresh() {
    const [journeys, segments] = await Promise.all([
      call("GET", `/journeys?includeArchived=${showArchived.checked}`),
      call("GET", "/segments"),
    ]);
    const segmentNames = new Map(segments.data.map((s) => [s.id, s.name]));
    list.replaceChildren(
      journeys.data.length === 0
        ? h("p", { class: "muted" }, "No journeys yet. Create one with + New journey.")
        : journeyTable(journeys.data, segmentNames, act, showEnrollments),
    );
  }

  function showEnrollments(journey) {
    show(
      enrollmentsCard(
        call,
        journey,
        () => panel.replaceChildren(),
        (what, error) => status.error(what, error),
      ),
    );
  }

  /** Shows `card` above the list, in place of the one there. */
  function show(card) {
    status.clear();
    panel.replaceChildren(card);
    panel.querySelector("h2")?.focus();
  }

  async function act(journey, action) {
    if (action === "simulate") return show(simulateCard(call, journey, () => panel.replaceChildren()));
    if (action === "edit") return openForm(journey);
    if (action === "duplicate") {
      try {
        const copy = await call("POST", `/journeys/${encodeURIComponent(journey.id)}/duplicate`);
        status.ok(`Created the draft "${copy.name}" from "${journey.name}".`);
      } catch (error) {
        status.error(`Could not duplicate "${journey.name}"`, error);
      }
      return refresh();
    }
    if (
      action === "archive" &&
      !confirm(
        `Archive "${journey.name}"? It stops all further sends and customers in it exit. This cannot be undone.`,
      )
    )
      return;
    try {
      const result = await call("POST", `/journeys/${encodeURIComponent(journey.id)}/${action}`);
      const warnings = result.warnings ?? [];
      status.ok(
        warnings.length === 0
          ? `"${journey.name}" ${DONE[action]}.`
          : `"${journey.name}" ${DONE[action]}, with ${warnings.length} warning(s): ${warnings
              .map((w) => (w.nodeId ? `step "${w.nodeId}": ${w.message}` : w.message))
              .join(" ")}`,
      );
    } catch (error) {
      status.error(`Could not ${action} "${journey.name}"`, error);
    }
    await refresh();
  }

  /** The create form, or the edit form of `journey`. */
  async function openForm(journey) {
    newButton.setAttribute("aria-expanded", String(journey === null));
    status.clear();
    const close = () => {
      form.replaceChildren();
      newButton.setAttribute("aria-expanded", "false");
    };
    if (journey) {
      form.replaceChildren(
        journeyForm(
          {
            title: `Edit ${journey.name}`,
            submit: "Save",
            note:
              journey.status === "active"
                ? "The journey is active: changed steps become a new version for customers who enter from now on; customers already in it stay on theirs. The entry trigger cannot change while it is active."
                : null,
          },
          journey,
          close,
          async (input) => {
            const saved = await call("PATCH", `/journeys/${encodeURIComponent(journey.id)}`, input);
            close();
            status.ok(`Saved "${saved.name}" (version ${saved.version}).`);
            await refresh();
          },
        ),
      );
    } else {
      const [segments, templates] = await Promise.all([call("GET", "/segments"), call("GET", "/templates")]);
      form.replaceChildren(
        journeyForm(
          { title: "New journey", submit: "Create draft", note: null },
          { name: "", ...example(segments.data, templates.data) },
          close,
          async (input) => {
            const created = await call("POST", "/journeys", input);
            close();
            status.ok(`Created the draft "${created.name}". Activate it from its ⋯ menu.`);
            await refresh();
          },
        ),
      );
    }
    form.querySelector("input")?.focus();
  }

  await refresh();
}

function journeyTable(journeys, segmentNames, act, showEnrollments) {
  return h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Name", "Status", "Version", "Entry trigger", "Steps", "Updated"].map((t) =>
          h("th", { scope: "col" }, t),
        ),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
      ),
    ),
    h(
      "tbody",
      {},
      journeys.map((j) =>
        h(
          "tr",
          { "data-journey": j.id },
          h(
            "td",
            {},
            h(
              "button",
              {
                type: "button",
                class: "link",
                title: "Enrollments and their trails",
                onclick: () => showEnrollments(j),
              },
              j.name,
            ),
          ),
          h("td", {}, h("span", { class: `status status-${j.status}` }, j.status)),
          h("td", {}, `v${j.version}`),
          h("td", {}, triggerSummary(j.trigger, segmentNames)),
          h("td", {}, count(Object.keys(j.nodes).length)),
          h("td", {}, when(j.updatedAt)),
          h("td", { class: "actions" }, actionMenu(j, act)),
        ),
      ),
    ),
  );
}

/** One line a marketer reads: who enters. */
export function triggerSummary(trigger, segmentNames) {
  switch (trigger?.type) {
    case "segment":
      return `Joins segment ${segmentNames.get(trigger.segmentId) ?? `${trigger.segmentId} (missing)`}`;
    case "form":
      return `Submits form ${trigger.formId}`;
    case "event": {
      const where = (trigger.where ?? []).map((w) => `${w.property} ${w.op} ${JSON.stringify(w.value)}`);
      return `Event "${trigger.event}"${where.length ? ` where ${where.join(" and ")}` : ""}`;
    }
    default:
      return JSON.stringify(trigger);
  }
}

/** The ⋯ menu of a row: a button that opens the actions the journey's status allows. */
function actionMenu(journey, act) {
  const actions = ACTIONS[journey.status] ?? [];
  if (actions.length === 0) return null;
  const menu = h(
    "div",
    { class: "menu", role: "menu", hidden: true },
    actions.map((action) =>
      h(
        "button",
        {
          type: "button",
          role: "menuitem",
          class: action === "archive" ? "danger" : "secondary",
          onclick: () => {
            toggle(false);
            act(journey, action);
          },
        },
        LABELS[action],
      ),
    ),
  );
  const button = h(
    "button",
    {
      type: "button",
      class: "secondary more",
      "aria-haspopup": "menu",
      "aria-expanded": "false",
      "aria-label": `Actions for ${journey.name}`,
      onclick: () => toggle(menu.hidden),
    },
    "⋯",
  );
  const toggle = (open) => {
    menu.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector("button")?.focus();
  };
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      toggle(false);
      button.focus();
    }
  });
  return h("div", { class: "menu-anchor" }, button, menu);
}

/** A valid definition to start from: the first segment as entry, the first template after a wait. */
function example(segments, templates) {
  const segment = segments[0];
  const template = templates[0];
  const wait = { type: "delay", amount: 1, unit: "hours", next: template ? "welcome" : null };
  return {
    trigger: segment ? { type: "segment", segmentId: segment.id } : { type: "event", event: "Signed Up" },
    start: "wait",
    nodes: template
      ? { wait, welcome: { type: "message", channel: template.channel, templateId: template.id, next: null } }
      : { wait },
  };
}

/** The JSON form of a journey: `text` has its title, submit label and a note; `save` gets the input. */
function journeyForm(text, initial, close, save) {
  const name = h("input", {
    id: "journey-name",
    name: "name",
    required: true,
    maxlength: 200,
    value: initial.name,
  });
  const trigger = h("textarea", { id: "journey-trigger", rows: 4, spellcheck: "false" });
  trigger.value = JSON.stringify(initial.trigger, null, 2);
  const start = h("input", { id: "journey-start", required: true, value: initial.start });
  const nodes = h("textarea", { id: "journey-nodes", rows: 14, spellcheck: "false" });
  nodes.value = JSON.stringify(initial.nodes, null, 2);
  const status = notice();
  return h(
    "form",
    {
      class: "card",
      "aria-label": text.title,
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await save({
            name: name.value,
            trigger: parseJson("Entry trigger", trigger.value),
            start: start.value.trim(),
            nodes: parseJson("Steps", nodes.value),
          });
        } catch (error) {
          status.error(`Could not save the journey`, error);
        }
      },
    },
    h("h2", {}, text.title),
    h(
      "p",
      { class: "muted" },
      "The graphical node editor comes later; for now a journey is written as JSON — see the ",
      h("a", { href: "/api/docs", target: "_blank" }, "API reference"),
      " for triggers and step types (message, delay, split; null ends a path).",
    ),
    text.note ? h("p", { class: "note" }, text.note) : null,
    field("Name", name),
    field("Entry trigger (JSON)", trigger, "segment, event or form"),
    field("First step", start, "the id of the step customers enter at"),
    field("Steps (JSON)", nodes, "an object of steps by id"),
    status.element,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit" }, text.submit),
      h("button", { type: "button", class: "secondary", onclick: close }, "Cancel"),
    ),
  );
}
