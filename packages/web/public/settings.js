// The Settings tab (?component=settings): the plan's limits, consent, the email (SMTP) set-up and
// the business's API keys.
import { count, h, when } from "./dom.js";
import { emailChannelCard } from "./email-channel.js";

const limit = (n) => (n === null ? "unlimited" : count(n));

/** Renders the tab into `root`; `call` is the business's API. */
export async function settingsTab(call, root, business) {
  const plan = business.planDetails;
  const keys = h("div");
  const created = h("p", { class: "muted", "aria-live": "polite" });
  root.replaceChildren(
    h("h1", {}, "Settings"),
    h(
      "section",
      { class: "card" },
      h("h2", {}, `${plan.name} plan`),
      h(
        "table",
        {},
        h("tbody", {}, [
          row(
            "Journeys",
            plan.modules.includes("omnichannel")
              ? limit(plan.limits.journeys)
              : "not included (Omnichannel module from Growth up)",
          ),
          row("Segments", limit(plan.limits.segments)),
          row("Customers", limit(plan.limits.customers)),
          row("AI credits / month", limit(plan.limits.aiCreditsPerMonth)),
        ]),
      ),
    ),
    consentCard(call, business),
    emailChannelCard(call),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "API keys"),
      h(
        "p",
        { class: "muted" },
        "Secret keys (",
        h("code", {}, "sk_…"),
        ") call the management API; write keys (",
        h("code", {}, "wk_…"),
        ") send customer events.",
      ),
      keys,
      h(
        "div",
        { class: "buttons" },
        ["write", "secret"].map((kind) =>
          h(
            "button",
            {
              type: "button",
              onclick: async () => {
                const key = await call("POST", "/api-keys", { kind });
                await refresh();
                created.replaceChildren(`New ${kind} key (shown once): `, h("code", {}, key.key));
              },
            },
            `New ${kind} key`,
          ),
        ),
      ),
      created,
    ),
  );

  async function refresh() {
    const data = (await call("GET", "/api-keys")).data;
    keys.replaceChildren(
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Name", "Kind", "Key", "Created", "Last used", ""].map((t) => h("th", { scope: "col" }, t)),
          ),
        ),
        h(
          "tbody",
          {},
          data.map((k) =>
            h(
              "tr",
              {},
              h("td", {}, k.name),
              h("td", {}, k.kind),
              h("td", {}, h("code", {}, `${k.prefix}…`)),
              h("td", {}, when(k.createdAt)),
              h("td", {}, when(k.lastUsedAt)),
              h(
                "td",
                {},
                k.revokedAt
                  ? "revoked"
                  : h(
                      "button",
                      {
                        type: "button",
                        class: "secondary",
                        "aria-label": `Revoke ${k.name}`,
                        onclick: async () => {
                          if (!confirm(`Revoke "${k.name}"? Clients using it stop working at once.`)) return;
                          await call("DELETE", `/api-keys/${encodeURIComponent(k.id)}`);
                          await refresh();
                        },
                      },
                      "Revoke",
                    ),
              ),
            ),
          ),
        ),
      ),
    );
  }
  await refresh();
}

/** Email opt-in (default) or opt-out: whether customers who never said count as subscribed. */
function consentCard(call, business) {
  const saved = h("p", { class: "muted", "aria-live": "polite" });
  const box = h("input", {
    type: "checkbox",
    id: "email-opt-out",
    checked: Boolean(business.settings?.emailOptOut),
    onchange: async () => {
      box.disabled = true;
      try {
        const updated = await call("PATCH", "", { settings: { emailOptOut: box.checked } });
        box.checked = updated.settings.emailOptOut;
        saved.replaceChildren(
          updated.settings.emailOptOut
            ? "Saved: customers who never answered now receive marketing email."
            : "Saved: marketing email needs a customer's subscription.",
        );
      } catch (error) {
        box.checked = !box.checked;
        saved.replaceChildren(`Not saved: ${error.message}`);
      } finally {
        box.disabled = false;
      }
    },
  });
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "Consent"),
    h(
      "p",
      {},
      box,
      " ",
      h(
        "label",
        { for: "email-opt-out" },
        "Email is opt-out: send marketing email unless a customer unsubscribed",
      ),
    ),
    h(
      "p",
      { class: "muted" },
      "Segments that ask for email subscribers are recomputed when this changes; SMS, WhatsApp, Telegram and push always need a subscription.",
    ),
    saved,
  );
}

const row = (label, value) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value));
