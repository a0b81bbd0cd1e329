// The Templates tab (?component=templates): the messages journeys send. A template has a
// channel and that channel's content, written in Liquid ({{ customer.email }},
// {{ event.properties.total }}, {{ unsubscribe_url }}); a preview renders it for a customer.
import { CHANNELS } from "./api.js";
import { field, h, notice, parseJson, when } from "./dom.js";

/** The content fields of each channel, as the API takes them (DESIGN §5). */
const FIELDS = {
  email: [
    ["subject", "Subject", "input"],
    ["body", "Body (HTML)", "textarea"],
    ["text", "Plain-text part", "textarea", "optional: derived from the HTML when empty"],
  ],
  sms: [["body", "Message", "textarea"]],
  telegram: [["body", "Message", "textarea"]],
  whatsapp: [
    ["whatsappTemplate", "Approved template (JSON)", "textarea", '{ "name", "language", "parameters": [] }'],
  ],
  push: [
    ["title", "Title", "input"],
    ["body", "Message", "textarea"],
    ["url", "Link", "input", "optional"],
  ],
};
const STARTER = {
  subject: "Welcome, {{ customer.attributes.name | default: 'friend' }}!",
  body: '<p>Hello {{ customer.attributes.name | default: "there" }},</p>\n<p>Thanks for joining.</p>\n<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
};

/** Renders the tab into `root`; `call` is the business's API. */
export async function templatesTab(call, root) {
  const status = notice();
  const list = h("div", { class: "card" }, h("p", { class: "muted" }, "Loading templates…"));
  const panel = h("div");
  const newButton = h("button", { type: "button" }, "+ New template");
  newButton.addEventListener("click", () => edit(null));
  root.replaceChildren(
    h("div", { class: "title-row" }, h("h1", {}, "Templates"), newButton),
    h("p", { class: "muted" }, "The messages journey steps send, personalised with Liquid."),
    status.element,
    panel,
    list,
  );

  async function refresh() {
    const templates = (await call("GET", "/templates")).data;
    list.replaceChildren(
      templates.length === 0
        ? h("p", { class: "muted" }, "No templates yet. Create one with + New template.")
        : h(
            "table",
            { "aria-label": "Templates" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Name", "Channel", "Kind", "Updated"].map((t) => h("th", { scope: "col" }, t)),
              ),
            ),
            h(
              "tbody",
              {},
              templates.map((t) =>
                h(
                  "tr",
                  { "data-template": t.id },
                  h("td", {}, h("button", { type: "button", class: "link", onclick: () => edit(t) }, t.name)),
                  h("td", {}, t.channel),
                  h("td", {}, t.transactional ? "transactional" : "marketing"),
                  h("td", {}, when(t.updatedAt)),
                ),
              ),
            ),
          ),
    );
  }

  function edit(template) {
    status.clear();
    panel.replaceChildren(
      templateForm(call, template, {
        close: () => panel.replaceChildren(),
        saved: async (message) => {
          panel.replaceChildren();
          status.ok(message);
          await refresh();
        },
      }),
    );
    panel.querySelector("input")?.focus();
  }

  await refresh();
}

function templateForm(call, template, on) {
  const status = notice();
  const name = h("input", {
    id: "template-name",
    required: true,
    maxlength: 200,
    value: template?.name ?? "",
  });
  const channel = h(
    "select",
    { id: "template-channel", disabled: template !== null },
    CHANNELS.map((c) => h("option", { value: c, selected: (template?.channel ?? "email") === c }, c)),
  );
  const transactional = h("input", {
    id: "template-transactional",
    type: "checkbox",
    checked: template?.transactional,
  });
  const content = h("div");
  const preview = h("div", { class: "template-preview" });
  let controls = [];

  const showFields = () => {
    const values = template ?? (channel.value === "email" ? STARTER : {});
    controls = FIELDS[channel.value].map(([key, label, kind, hint]) => {
      const control = h(kind, {
        id: `template-${key}`,
        "data-key": key,
        spellcheck: "false",
        ...(kind === "textarea" ? { rows: key === "body" ? 8 : 4 } : {}),
      });
      const value = values[key];
      control.value =
        value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value, null, 2);
      return field(label, control, hint);
    });
    content.replaceChildren(...controls);
  };
  channel.addEventListener("change", showFields);
  showFields();

  const body = () => {
    const out = { name: name.value, transactional: transactional.checked };
    if (!template) out.channel = channel.value;
    for (const wrapper of controls) {
      const control = wrapper.querySelector("[data-key]");
      const key = control.dataset.key;
      if (key === "whatsappTemplate") out[key] = parseJson("Approved template", control.value);
      else if (control.value !== "") out[key] = control.value;
      // An emptied optional field (the plain-text part, a push link) is cleared; an empty
      // required one goes as it is, for the API to name.
      else if (template) out[key] = null;
      else if (FIELDS[channel.value].find(([k]) => k === key)?.[3] === undefined) out[key] = "";
    }
    return out;
  };

  const showPreview = async () => {
    try {
      const rendered = await call("POST", `/templates/${encodeURIComponent(template.id)}/preview`, {});
      status.clear();
      preview.replaceChildren(renderedView(rendered));
    } catch (error) {
      status.error("Could not preview the template", error);
    }
  };
  const remove = async () => {
    if (!confirm(`Delete the template "${template.name}"?`)) return;
    try {
      await call("DELETE", `/templates/${encodeURIComponent(template.id)}`);
      await on.saved(`Deleted the template "${template.name}".`);
    } catch (error) {
      status.error(`Could not delete "${template.name}"`, error);
    }
  };

  return h(
    "form",
    {
      class: "card",
      "aria-label": template ? `Template ${template.name}` : "New template",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const saved = template
            ? await call("PATCH", `/templates/${encodeURIComponent(template.id)}`, body())
            : await call("POST", "/templates", body());
          await on.saved(`Saved the template "${saved.name}".`);
        } catch (error) {
          status.error("Could not save the template", error);
        }
      },
    },
    h("h2", {}, template ? template.name : "New template"),
    field("Name", name),
    field("Channel", channel, template ? "a template keeps its channel" : null),
    h(
      "p",
      {},
      transactional,
      " ",
      h(
        "label",
        { for: "template-transactional" },
        "Transactional: sent without a marketing subscription (receipts, password resets)",
      ),
    ),
    content,
    h(
      "p",
      { class: "muted" },
      "Liquid: {{ customer.email }}, {{ customer.attributes.name }}, {{ event.properties.total }}, {{ unsubscribe_url }}. Marketing email gets an unsubscribe link when the body has none.",
    ),
    status.element,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit" }, template ? "Save" : "Create template"),
      template ? h("button", { type: "button", class: "secondary", onclick: showPreview }, "Preview") : null,
      template ? h("button", { type: "button", class: "danger", onclick: remove }, "Delete") : null,
      h("button", { type: "button", class: "secondary", onclick: on.close }, "Close"),
    ),
    preview,
  );
}

/** A rendered message; email HTML shows in a sandboxed frame (no scripts, no same origin). */
function renderedView(rendered) {
  return h(
    "div",
    { class: "rendered", role: "status" },
    rendered.subject !== undefined ? h("p", {}, h("strong", {}, "Subject: "), rendered.subject) : null,
    rendered.title !== undefined ? h("p", {}, h("strong", {}, "Title: "), rendered.title) : null,
    rendered.html !== undefined
      ? h("iframe", { title: "Email preview", sandbox: "", srcdoc: rendered.html, class: "email-frame" })
      : null,
    rendered.text !== undefined ? h("pre", { class: "text-part" }, rendered.text) : null,
    rendered.body !== undefined ? h("pre", { class: "text-part" }, rendered.body) : null,
  );
}
