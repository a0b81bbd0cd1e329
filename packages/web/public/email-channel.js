// The email channel's set-up on the Settings tab: the SMTP server journeys send through. The
// password goes in and never comes out; leaving it empty keeps the stored one (for the same
// host, port and username).
import { field, h, notice } from "./dom.js";

/** The "Email (SMTP)" card; loads the current set-up itself. */
export function emailChannelCard(call) {
  const status = notice();
  const host = h("input", { id: "smtp-host", required: true, placeholder: "smtp.example.com" });
  const port = h("input", {
    id: "smtp-port",
    type: "number",
    min: 1,
    max: 65535,
    required: true,
    value: "587",
  });
  const secure = h("input", { id: "smtp-secure", type: "checkbox" });
  const username = h("input", { id: "smtp-username", autocomplete: "off" });
  const password = h("input", { id: "smtp-password", type: "password", autocomplete: "new-password" });
  const from = h("input", { id: "smtp-from", required: true, placeholder: "Acme <hello@acme.test>" });
  const connections = h("input", {
    id: "smtp-connections",
    type: "number",
    min: 1,
    max: 100,
    required: true,
    value: "5",
  });
  const state = h("p", { class: "muted" }, "Loading…");

  const show = (setup) => {
    if (!setup) {
      state.textContent =
        "Not set up: a journey with an email step cannot be activated until it is, and an active journey skips its email steps.";
      return;
    }
    if (setup.provider !== "smtp") {
      // Set up through the API with an HTTP email provider (Resend): this form is for SMTP.
      state.textContent = `Sending through ${setup.provider} from ${setup.from}; saving this form switches to SMTP.`;
      return;
    }
    host.value = setup.host ?? "";
    port.value = String(setup.port ?? 587);
    secure.checked = setup.secure === true;
    username.value = setup.username ?? "";
    from.value = setup.from ?? "";
    connections.value = String(setup.maxConnections ?? 5);
    password.value = "";
    password.placeholder = setup.passwordSet ? "stored — leave empty to keep it" : "";
    state.textContent = `Sending through ${setup.host}:${setup.port}.`;
  };
  call("GET", "/channels/email").then(show, (error) =>
    error.status === 404 ? show(null) : status.error("Could not load the email set-up", error),
  );

  return h(
    "form",
    {
      class: "card",
      "aria-label": "Email (SMTP)",
      onsubmit: async (event) => {
        event.preventDefault();
        const body = {
          provider: "smtp",
          host: host.value.trim(),
          port: Number(port.value),
          secure: secure.checked,
          from: from.value.trim(),
          maxConnections: Number(connections.value),
        };
        if (username.value.trim()) body.username = username.value.trim();
        if (password.value) body.password = password.value;
        try {
          show(await call("PUT", "/channels/email", body));
          status.ok("Saved: email steps send through this server from now on.");
        } catch (error) {
          status.error("Could not save the email set-up", error);
        }
      },
    },
    h("h2", {}, "Email (SMTP)"),
    state,
    field("SMTP host", host),
    field("Port", port, "587 with STARTTLS, 465 with TLS from the start"),
    h("p", {}, secure, " ", h("label", { for: "smtp-secure" }, "TLS from the start (port 465)")),
    field("Username", username, "with a username, the password is only ever sent over TLS"),
    field("Password", password),
    field("From", from, "the sender customers see"),
    field(
      "Connections",
      connections,
      "open at once (1–100): each carries one email per few round trips, so sending fast needs more",
    ),
    status.element,
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Save email set-up")),
  );
}
