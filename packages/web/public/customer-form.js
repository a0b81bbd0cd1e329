// The form that creates a customer or edits one: the built-in fields, custom attributes as JSON
// and the subscription to each channel. Saving re-evaluates the segments the change can affect,
// so journeys see joins and leaves at once.
import { CHANNELS } from "./api.js";
import { field, h, notice, parseJson } from "./dom.js";

const STATES = ["unknown", "subscribed", "unsubscribed"];

/**
 * `customer` is the one to edit, or null for a new one; `save(body)` sends it and resolves with
 * the saved customer; `close` removes the form.
 */
export function customerForm(customer, save, close) {
  const status = notice();
  const input = (id, value, attrs = {}) => h("input", { id, value: value ?? "", ...attrs });
  const userId = input("customer-user-id", customer?.userId, { maxlength: 255 });
  const email = input("customer-email", customer?.email, { type: "email", maxlength: 320 });
  const phone = input("customer-phone", customer?.phone, { placeholder: "+4915112345678" });
  const timezone = input("customer-timezone", customer?.timezone, { placeholder: "Europe/Berlin" });
  const locale = input("customer-locale", customer?.locale, { placeholder: "de-DE" });
  const attributes = h("textarea", { id: "customer-attributes", rows: 4, spellcheck: "false" });
  attributes.value = JSON.stringify(customer?.attributes ?? {}, null, 2);
  const subscriptions = CHANNELS.map((channel) =>
    h(
      "select",
      { id: `customer-subscription-${channel}`, "data-channel": channel },
      STATES.map((state) =>
        h(
          "option",
          { value: state, selected: (customer?.subscriptions[channel] ?? "unknown") === state },
          state,
        ),
      ),
    ),
  );
  const text = (control) => control.value.trim() || null;

  return h(
    "form",
    {
      class: "card",
      "aria-label": customer ? "Edit customer" : "New customer",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const attrs = parseJson("Attributes", attributes.value);
          const body = {
            email: text(email),
            phone: text(phone),
            timezone: text(timezone),
            locale: text(locale),
            attributes: customer ? withRemoved(customer.attributes, attrs) : attrs,
            subscriptions: Object.fromEntries(subscriptions.map((s) => [s.dataset.channel, s.value])),
          };
          // A userId is an identity: it is set once, never cleared from here.
          if (!customer?.userId && text(userId)) body.userId = text(userId);
          await save(body);
        } catch (error) {
          status.error("Could not save the customer", error);
        }
      },
    },
    h("h2", {}, customer ? "Edit customer" : "New customer"),
    customer?.userId ? null : field("User ID", userId, "your own id for them; optional"),
    field("Email", email),
    field("Phone", phone, "international form, with the country code"),
    field("Time zone", timezone, "IANA name; anniversaries and date rules use it"),
    field("Locale", locale),
    field("Attributes (JSON)", attributes, "an object; a number, true/false or text per attribute"),
    h(
      "fieldset",
      { class: "subscriptions-edit" },
      h("legend", {}, "Subscriptions"),
      subscriptions.map((s) => field(s.dataset.channel, s)),
    ),
    status.element,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit" }, customer ? "Save" : "Create customer"),
      h("button", { type: "button", class: "secondary", onclick: close }, "Cancel"),
    ),
  );
}

/** The attributes patch: the new values, and `null` for each attribute the user deleted. */
function withRemoved(before, after) {
  const patch = { ...after };
  for (const name of Object.keys(before)) if (!Object.hasOwn(after, name)) patch[name] = null;
  return patch;
}
