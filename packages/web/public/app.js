// The Journeys UI: sign-in and the business page. Plain ES modules, no build step yet.
const app = document.getElementById("app");

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok)
    throw Object.assign(new Error(data?.error?.message ?? response.statusText), { status: response.status });
  return data;
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const limit = (n) => (n === null ? "unlimited" : n.toLocaleString("en-US"));
const when = (ms) => (ms === null ? "—" : new Date(ms).toLocaleString());

function renderLogin(message = "") {
  app.innerHTML = `
    <form class="login card" id="login">
      <h1>Sign in to Journeys</h1>
      <label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required>
      <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit">Sign in</button>
      <p class="error" id="login-error">${esc(message)}</p>
    </form>`;
  document.getElementById("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const me = await api("POST", "/api/v1/auth/login", {
        email: form.get("email"),
        password: form.get("password"),
      });
      const first = me.businesses[0];
      location.assign(first ? `/business/${first.businessId}/marketing` : "/");
    } catch (error) {
      document.getElementById("login-error").textContent = error.message;
    }
  });
}

async function renderBusiness(businessId) {
  let business;
  try {
    business = await api("GET", `/api/v1/businesses/${encodeURIComponent(businessId)}`);
  } catch (error) {
    if (error.status === 401) return location.assign("/login");
    app.innerHTML = `<p class="error">${esc(error.message)}</p>`;
    return;
  }
  const keys = (await api("GET", `/api/v1/businesses/${businessId}/api-keys`)).data;
  const plan = business.planDetails;
  app.innerHTML = `
    <header>
      <h1>${esc(business.name)}</h1>
      <span class="muted">${esc(plan.name)} plan · <code>${esc(business.id)}</code></span>
      <button class="secondary" id="logout" style="float:right;margin-top:-36px">Sign out</button>
    </header>
    <nav class="tabs"><a class="active" href="#journeys">Journeys</a><a href="?component=segments">Segments</a></nav>
    <section class="card">
      <h2>Plan</h2>
      <table>
        <tr><th>Journeys</th><td>${plan.modules.includes("omnichannel") ? limit(plan.limits.journeys) : "not included (Omnichannel module from Growth up)"}</td></tr>
        <tr><th>Segments</th><td>${limit(plan.limits.segments)}</td></tr>
        <tr><th>Customers</th><td>${limit(plan.limits.customers)}</td></tr>
        <tr><th>AI credits / month</th><td>${limit(plan.limits.aiCreditsPerMonth)}</td></tr>
      </table>
    </section>
    <section class="card">
      <h2>API keys</h2>
      <p class="muted">Secret keys (<code>sk_…</code>) call the management API; write keys (<code>wk_…</code>) send customer events.</p>
      <table id="keys">
        <tr><th>Name</th><th>Kind</th><th>Key</th><th>Created</th><th>Last used</th><th></th></tr>
        ${keys
          .map(
            (k) => `<tr><td>${esc(k.name)}</td><td>${k.kind}</td><td><code>${esc(k.prefix)}…</code></td>
            <td>${when(k.createdAt)}</td><td>${when(k.lastUsedAt)}</td>
            <td>${k.revokedAt ? "revoked" : `<button class="secondary" data-revoke="${esc(k.id)}">Revoke</button>`}</td></tr>`,
          )
          .join("")}
      </table>
      <button id="new-write">New write key</button> <button id="new-secret">New secret key</button>
      <p id="new-key" class="muted"></p>
    </section>`;
  document.getElementById("logout").onclick = async () => {
    await api("POST", "/api/v1/auth/logout");
    location.assign("/login");
  };
  for (const kind of ["write", "secret"]) {
    document.getElementById(`new-${kind}`).onclick = async () => {
      const created = await api("POST", `/api/v1/businesses/${businessId}/api-keys`, { kind });
      await renderBusiness(businessId);
      document.getElementById("new-key").innerHTML =
        `New ${kind} key (shown once): <code>${esc(created.key)}</code>`;
    };
  }
  for (const button of document.querySelectorAll("[data-revoke]")) {
    button.onclick = async () => {
      await api("DELETE", `/api/v1/businesses/${businessId}/api-keys/${button.dataset.revoke}`);
      await renderBusiness(businessId);
    };
  }
}

const match = /^\/business\/([^/]+)\/marketing/.exec(location.pathname);
if (match) renderBusiness(decodeURIComponent(match[1]));
else renderLogin();
