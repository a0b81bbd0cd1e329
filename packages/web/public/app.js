// The Journeys UI: sign-in and the business's marketing page, which follows the product's
// navigation (/business/:id/marketing is the Journeys tab, ?component=segments the Segments tab,
// ?component=customers the Customers tab, ?component=templates the Templates tab).
// Plain ES modules, no build step.
import { api, businessApi } from "./api.js";
import { customersTab } from "./customers.js";
import { errorReport, field, h } from "./dom.js";
import { journeysTab } from "./journeys.js";
import { segmentsTab } from "./segments.js";
import { settingsTab } from "./settings.js";
import { templatesTab } from "./templates.js";

const app = document.getElementById("app");

/** The tabs by `?component=`; the Journeys tab has none. */
const TABS = [
  { component: null, label: "Journeys", group: "Omnichannel", render: journeysTab },
  { component: "segments", label: "Segments", group: "Omnichannel", render: segmentsTab },
  { component: "customers", label: "Customers", group: "Omnichannel", render: customersTab },
  { component: "templates", label: "Templates", group: "Omnichannel", render: templatesTab },
  { component: "settings", label: "Settings", group: "Business", render: settingsTab },
];

function renderLogin() {
  const email = h("input", {
    id: "email",
    name: "email",
    type: "email",
    autocomplete: "username",
    required: true,
  });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const message = h("div", { "aria-live": "polite" });
  app.replaceChildren(
    h(
      "main",
      {},
      h(
        "form",
        {
          class: "login card",
          onsubmit: async (event) => {
            event.preventDefault();
            try {
              const me = await api("POST", "/api/v1/auth/login", {
                email: email.value,
                password: password.value,
              });
              const first = me.businesses[0];
              location.assign(first ? `/business/${encodeURIComponent(first.businessId)}/marketing` : "/");
            } catch (error) {
              message.replaceChildren(errorReport("Could not sign in", error));
            }
          },
        },
        h("h1", {}, "Sign in to Journeys"),
        field("Email", email),
        field("Password", password),
        h("button", { type: "submit" }, "Sign in"),
        message,
      ),
    ),
  );
}

async function renderBusiness(businessId) {
  const call = businessApi(businessId);
  let business;
  try {
    business = await call("GET", "");
  } catch (error) {
    app.replaceChildren(h("main", {}, errorReport("Could not open the business", error)));
    return;
  }
  const base = `/business/${encodeURIComponent(businessId)}/marketing`;
  const hrefOf = (tab) => (tab.component ? `${base}?component=${tab.component}` : base);
  const content = h("main", { id: "content", tabindex: "-1" });
  const links = TABS.map((tab) =>
    h(
      "a",
      {
        href: hrefOf(tab),
        onclick: (event) => {
          if (event.metaKey || event.ctrlKey || event.shiftKey) return;
          event.preventDefault();
          history.pushState(null, "", hrefOf(tab));
          show();
        },
      },
      tab.label,
    ),
  );
  const groups = [...new Set(TABS.map((t) => t.group))];
  app.replaceChildren(
    h(
      "div",
      { class: "shell" },
      h(
        "aside",
        { class: "sidebar" },
        h("p", { class: "brand" }, "Journeys"),
        h("p", { class: "business-name" }, business.name),
        h("p", { class: "muted" }, `${business.planDetails.name} plan`),
        groups.map((group) =>
          h(
            "nav",
            { "aria-label": group },
            h("h2", {}, group),
            TABS.flatMap((tab, i) => (tab.group === group ? [links[i]] : [])),
          ),
        ),
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            onclick: async () => {
              await api("POST", "/api/v1/auth/logout");
              location.assign("/login");
            },
          },
          "Sign out",
        ),
      ),
      content,
    ),
  );

  async function show() {
    const component = new URLSearchParams(location.search).get("component");
    const index = Math.max(
      0,
      TABS.findIndex((t) => t.component === component),
    );
    links.forEach((link, i) => {
      if (i === index) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
    document.title = `${TABS[index].label} · ${business.name} · Journeys`;
    try {
      await TABS[index].render(call, content, business);
    } catch (error) {
      content.replaceChildren(errorReport(`Could not load ${TABS[index].label}`, error));
    }
  }
  addEventListener("popstate", show);
  await show();
}

const match = /^\/business\/([^/]+)\/marketing\/?$/.exec(location.pathname);
if (match) renderBusiness(decodeURIComponent(match[1]));
else renderLogin();
