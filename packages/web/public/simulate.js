// Simulation of a journey (from its ⋯ menu): runs the current definition for one customer or a
// sample of its entry segment in virtual time — nothing written, nothing sent — and shows how
// many customers reach each step and each customer's timeline, with the sends that would be
// skipped and why.
import { count, field, h, notice, parseJson } from "./dom.js";

const SHOWN = 20;

/** A card that simulates `journey`; `close` removes it. */
export function simulateCard(call, journey, close) {
  const status = notice();
  const customer = h("input", { id: "simulate-customer", placeholder: "cus_…", maxlength: 64 });
  const sample = h("input", { id: "simulate-sample", type: "number", min: 1, max: 1000, value: "100" });
  const event = h("textarea", { id: "simulate-event", rows: 3, spellcheck: "false" });
  event.value = "{}";
  const result = h("div");
  const byEvent = journey.trigger?.type === "event";
  const bySegment = journey.trigger?.type === "segment";

  const form = h(
    "form",
    {
      class: "card",
      "aria-label": `Simulate ${journey.name}`,
      onsubmit: async (e) => {
        e.preventDefault();
        status.clear();
        result.replaceChildren();
        try {
          const body = {};
          if (customer.value.trim()) body.customerId = customer.value.trim();
          else if (bySegment) body.sample = Number(sample.value);
          if (byEvent) body.event = parseJson("Event properties", event.value);
          const run = await call("POST", `/journeys/${encodeURIComponent(journey.id)}/simulate`, body);
          result.replaceChildren(simulation(journey, run));
        } catch (error) {
          status.error(`Could not simulate "${journey.name}"`, error);
        }
      },
    },
    h("h2", { tabindex: "-1" }, `Simulate ${journey.name}`),
    h(
      "p",
      { class: "muted" },
      "Runs the journey as it is now, in virtual time from now: nothing is written and nothing is sent. Splits use each customer's segments as they are now.",
    ),
    field("Customer id", customer, bySegment ? "or leave empty to sample the entry segment" : "who enters"),
    bySegment ? field("Sample size", sample, "customers of the entry segment, at most 1,000") : null,
    byEvent
      ? field("Event properties (JSON)", event, `the "${journey.trigger.event}" event that enters them`)
      : null,
    status.element,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit" }, "Simulate"),
      h("button", { type: "button", class: "secondary", onclick: close }, "Close"),
    ),
    result,
  );
  return form;
}

function simulation(journey, run) {
  if (run.wouldNotEnter)
    return h("p", { class: "alert", role: "status" }, `No one would enter: ${run.wouldNotEnter}.`);
  if (run.customers.length === 0)
    return h("p", { role: "status" }, "The entry segment has no members to simulate.");
  const steps = Object.keys(journey.nodes);
  const skipped = run.customers.reduce((n, c) => n + c.sends.filter((s) => s.wouldSkip).length, 0);
  return h(
    "div",
    { class: "simulation" },
    h(
      "p",
      { role: "status" },
      `Simulated ${count(run.customers.length)} customer(s): ${count(
        run.customers.reduce((n, c) => n + c.sends.length, 0),
      )} message(s), ${count(skipped)} of them would be skipped.`,
    ),
    h(
      "table",
      { "aria-label": "Customers per step" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Step", "Reached", "Queued", "True branch", "False branch", "Exited here"].map((t) =>
            h("th", { scope: "col" }, t),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        steps.map((id) => {
          const n = run.perNode[id] ?? {
            reached: 0,
            queued: 0,
            trueBranch: 0,
            falseBranch: 0,
            exitedHere: 0,
          };
          return h(
            "tr",
            { "data-node": id },
            h("td", {}, h("code", {}, id)),
            [n.reached, n.queued, n.trueBranch, n.falseBranch, n.exitedHere].map((v) =>
              h("td", { class: "number" }, count(v)),
            ),
          );
        }),
      ),
    ),
    run.customers.slice(0, SHOWN).map((c) =>
      h(
        "details",
        { "data-customer": c.customerId },
        h(
          "summary",
          {},
          c.customerId,
          h("span", { class: "muted" }, ` — ${c.exitReason ?? "still waiting"}`),
        ),
        h(
          "ol",
          { class: "timeline" },
          c.timeline.map((entry) => h("li", { "data-type": entry.type }, entry.message ?? entry.type)),
          c.sends
            .filter((s) => s.wouldSkip)
            .map((s) => h("li", { class: "muted" }, `Step "${s.nodeId}" would be skipped (${s.wouldSkip}).`)),
        ),
      ),
    ),
    run.customers.length > SHOWN
      ? h("p", { class: "muted" }, `The first ${SHOWN} timelines are shown.`)
      : null,
  );
}
