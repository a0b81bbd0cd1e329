import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { BROWSER_SKIP, launchChromium } from "./browser";
import { type Business, client } from "./harness";
import { freePort, startCli, waitForOk } from "./process";
import { type SmtpSink, startSmtpSink } from "./smtp-sink";

/**
 * The web UI in a real browser against `journeys start` with its demo business: sign in, build a
 * segment with a preview, see activation problems listed, take a journey through
 * activate → simulate → edit → pause → archive from its ⋯ menu with its enrollments' trails on the way, and find,
 * export and erase a customer, import a CSV file, and write a template and the SMTP set-up. UI_SCREENSHOTS=<dir> keeps a picture of each step.
 */
describe("e2e: web UI (Chromium)", { skip: BROWSER_SKIP }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "journeys-ui-"));
  let server: ReturnType<typeof startCli> | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let baseUrl = "";
  let owner = { email: "", password: "" };
  let http: ReturnType<typeof client>;
  let sink: SmtpSink | undefined;

  /** Opens the ⋯ menu of a journey's row and picks `action`. */
  const rowAction = async (journeyId: string, action: string) => {
    const row = page.locator(`tr[data-journey="${journeyId}"]`);
    await row.getByRole("button", { name: /^Actions for / }).click();
    await row.getByRole("menuitem", { name: action }).click();
  };
  const snap = async (name: string) => {
    const dir = process.env.UI_SCREENSHOTS;
    if (dir) await page.screenshot({ path: join(dir, `ui-${name}.png`), fullPage: true });
  };
  const statusOf = (journeyId: string, status: string) =>
    page.locator(`tr[data-journey="${journeyId}"] .status`, { hasText: new RegExp(`^${status}$`) }).waitFor();

  before(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = startCli(["start"], {
      JOURNEYS_DATA_DIR: dataDir,
      DATABASE_URL: "",
      LOG_LEVEL: "warn",
      PORT: String(port),
      // The email set-up points at the SMTP sink on 127.0.0.1, which the outbound guard refuses.
      JOURNEYS_ALLOW_PRIVATE_NETWORK: "true",
    });
    await waitForOk(`${baseUrl}/readyz`, 20_000);
    for (let i = 0; i < 50 && !server.output().includes("write key"); i++)
      await new Promise((r) => setTimeout(r, 100));
    const banner = (label: string) => {
      const value = new RegExp(`^ +${label} +(\\S+)$`, "m").exec(server?.output() ?? "")?.[1];
      assert.ok(value, `the start banner prints the ${label}:\n${server?.output()}`);
      return value;
    };
    owner = { email: banner("email"), password: banner("password") };
    const business: Business = {
      businessId: banner("business id"),
      apiKey: banner("API key"),
      writeKey: banner("write key"),
    };
    http = client(baseUrl, business);
    for (const name of ["ada", "bob"]) {
      await http.ingest("identify", {
        userId: name,
        traits: { email: `${name}@example.com`, subscriptions: { email: "subscribed" } },
      });
    }
    sink = await startSmtpSink();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(10_000);
  });

  after(async () => {
    await browser?.close();
    if (server) {
      const exited = new Promise((resolve) => server?.child.on("exit", resolve));
      server.child.kill("SIGTERM");
      await exited;
    }
    // After the server: its pooled SMTP connections would hold the sink's close open.
    await sink?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("signs in through the form and lands on the Journeys tab", async () => {
    await page.goto(`${baseUrl}/`);
    await page.waitForURL(/\/login$/);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("wrong email or password").waitFor();

    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/business\/[^/]+\/marketing$/);
    await page.getByRole("heading", { name: "Journeys", level: 1 }).waitFor();
    assert.equal(await page.getByRole("link", { name: "Journeys" }).getAttribute("aria-current"), "page");
    await page.getByText("No journeys yet").waitFor();
  });

  it("previews and creates a segment on the Segments tab", async () => {
    await page.getByRole("link", { name: "Segments" }).click();
    await page.waitForURL(/\?component=segments$/);
    await page.getByLabel("Name").fill("Subscribers");
    await page.getByLabel("Rule (JSON)").fill('{ "subscribed": "email" }');
    await page.getByRole("button", { name: "Preview" }).click();
    const preview = page.locator(".preview-result");
    await preview.getByText("2 customers match").waitFor();
    assert.match((await preview.textContent()) ?? "", /ada@example\.com/);
    await snap("segment-preview");

    await page.getByLabel("Rule (JSON)").fill("{ nope");
    await page.getByRole("button", { name: "Preview" }).click();
    await page.getByRole("alert").getByText("Rule is not valid JSON").waitFor();

    await page.getByLabel("Rule (JSON)").fill('{ "subscribed": "email" }');
    await page.getByRole("button", { name: "Create segment" }).click();
    const row = page.locator("tr", { hasText: "Subscribers" });
    await row.waitFor();
    assert.deepEqual(await row.locator("td").allTextContents(), ["Subscribers", "2", "subscribed to email"]);

    // Its card: today's size, the members, the rule to edit.
    await row.getByRole("button", { name: "Subscribers" }).click();
    const card = page.getByRole("region", { name: "Segment Subscribers" });
    await card.getByRole("table", { name: "Members" }).locator("tbody tr").nth(1).waitFor();
    assert.deepEqual(
      (
        await card
          .getByRole("table", { name: "Members" })
          .locator("tbody tr td:first-child")
          .allTextContents()
      ).sort(),
      ["ada@example.com", "bob@example.com"],
    );
    assert.equal(await card.locator(".bars-today").textContent(), "2");
    assert.equal(
      await card.getByLabel("Rule (JSON)").inputValue(),
      JSON.stringify({ subscribed: "email" }, null, 2),
    );
    await card.getByRole("button", { name: "Close" }).click();

    // A manual list: a CSV replaces its members, naming the row that matched nobody; then delete it.
    await http.api("POST", "/segments", { name: "VIPs", rule: null });
    await page.getByRole("link", { name: "Journeys" }).click();
    await page.getByRole("link", { name: "Segments" }).click();
    await page.getByRole("button", { name: "VIPs" }).click();
    const list = page.getByRole("region", { name: "Segment VIPs" });
    await list.getByText("No members.").waitFor();
    await list.getByLabel("CSV of members").setInputFiles({
      name: "vips.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("email\nada@example.com\nnobody@example.com\n"),
    });
    await list.getByRole("button", { name: "Replace members" }).click();
    await list.getByText("Replaced: 1 joined, 0 left; 1 members now.").waitFor();
    assert.match(
      (await list.locator(".list-result li").textContent()) ?? "",
      /^Line 3: nobody@example\.com — /,
    );
    await list.getByRole("table", { name: "Members" }).getByText("ada@example.com").waitFor();
    await snap("manual-list");
    const dialog = new Promise<string>((resolve) =>
      page.once("dialog", (d) => {
        resolve(d.message());
        void d.accept();
      }),
    );
    await list.getByRole("button", { name: "Delete" }).click();
    assert.match(await dialog, /Delete the segment "VIPs"/);
    await page.getByRole("status").getByText('Deleted the segment "VIPs".').waitFor();
    await page.locator("tr", { hasText: "VIPs" }).waitFor({ state: "detached" });
  });

  it("lists every activation problem with its code and step", async () => {
    const broken = await http.api("POST", "/journeys", {
      name: "Broken welcome",
      trigger: { type: "segment", segmentId: "seg_gone" },
      start: "welcome",
      nodes: {
        welcome: { type: "message", channel: "email", templateId: "tpl_gone", next: null },
        lost: { type: "delay", amount: 1, unit: "days", next: null },
      },
    });
    await page.getByRole("link", { name: "Journeys" }).click();
    await statusOf(broken.id, "draft");
    await rowAction(broken.id, "Activate");
    const alert = page.getByRole("alert");
    await alert.getByText("the journey cannot be activated").waitFor();
    const problems = await alert.locator("li").allTextContents();
    assert.ok(
      problems.some((p) => p.startsWith("entry_segment_missing")),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) => p.startsWith("template_missing at step welcome")),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) => p.startsWith("orphan_node at step lost")),
      problems.join("\n"),
    );
    assert.match((await alert.textContent()) ?? "", /HTTP 422 · journey_invalid/);
    await statusOf(broken.id, "draft");
    await snap("activation-problems");
  });

  it("creates a journey from the JSON form and activates, pauses and archives it", async () => {
    // The template and the SMTP set-up the journey sends with, through their screens.
    await page.getByRole("link", { name: "Templates" }).click();
    await page.getByText("No templates yet.").waitFor();
    await page.getByRole("button", { name: "+ New template" }).click();
    const newTemplate = page.getByRole("form", { name: "New template" });
    await newTemplate.getByLabel("Name").fill("Welcome");
    assert.match(await newTemplate.getByLabel("Body (HTML)").inputValue(), /unsubscribe_url/);
    await newTemplate.getByLabel("Subject").fill("Welcome, {{ customer.email | default: 'friend' }}!");
    await newTemplate.getByLabel("Body (HTML)").fill("<p>Hello {{ customer.email }}</p>{{ oops");
    await newTemplate.getByRole("button", { name: "Create template" }).click();
    await newTemplate.getByRole("alert").waitFor();
    await newTemplate.getByLabel("Body (HTML)").fill("<p>Hello {{ customer.email | default: 'there' }}</p>");
    await newTemplate.getByRole("button", { name: "Create template" }).click();
    await page.getByRole("status").getByText('Saved the template "Welcome".').waitFor();
    await page.getByRole("table", { name: "Templates" }).getByRole("button", { name: "Welcome" }).click();
    const template = page.getByRole("form", { name: "Template Welcome" });
    await template.getByRole("button", { name: "Preview" }).click();
    await template.getByText("Subject: Welcome, friend!").waitFor();
    const frame = template.frameLocator("iframe.email-frame");
    await frame.getByText("Hello there").waitFor();
    await frame.getByRole("link", { name: "Unsubscribe" }).waitFor();
    await snap("template-preview");
    // A plain-text part written, then emptied again: the emptied field is cleared, not kept.
    await template.getByLabel("Plain-text part").fill("Hello in plain text");
    await template.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").getByText('Saved the template "Welcome".').waitFor();
    const [saved] = (await http.api("GET", "/templates")).data;
    assert.equal(saved.text, "Hello in plain text");
    await page.getByRole("table", { name: "Templates" }).getByRole("button", { name: "Welcome" }).click();
    await template.getByLabel("Plain-text part").fill("");
    await template.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").getByText('Saved the template "Welcome".').waitFor();
    assert.equal((await http.api("GET", `/templates/${saved.id}`)).text, undefined);

    await page.getByRole("link", { name: "Settings" }).click();
    const smtp = page.getByRole("form", { name: "Email (SMTP)" });
    await smtp.getByText("Not set up").waitFor();
    await smtp.getByLabel("SMTP host").fill("127.0.0.1");
    await smtp.getByLabel("Port", { exact: true }).fill(String(sink?.port));
    await smtp.getByLabel("From", { exact: true }).fill("a@b.co");
    assert.equal(await smtp.getByLabel("Connections").inputValue(), "5");
    await smtp.getByLabel("Connections").fill("20");
    await smtp.getByRole("button", { name: "Save email set-up" }).click();
    await smtp.getByText(`Sending through 127.0.0.1:${sink?.port}.`).waitFor();
    const setup = await http.api("GET", "/channels/email");
    assert.deepEqual(
      [setup.provider, setup.host, setup.port, setup.secure, setup.from, setup.maxConnections],
      ["smtp", "127.0.0.1", sink?.port, false, "a@b.co", 20],
    );
    await page.getByRole("link", { name: "Journeys" }).click();

    await page.getByRole("button", { name: "+ New journey" }).click();
    const form = page.getByRole("form", { name: "New journey" });
    await form.getByText("graphical node editor comes later").waitFor();
    assert.match(await form.getByLabel("Steps (JSON)").inputValue(), /"templateId": "tpl_/);
    await form.getByLabel("Name").fill("Welcome series");
    // The welcome email first, then an hour's wait.
    const example = JSON.parse(await form.getByLabel("Steps (JSON)").inputValue());
    await form.getByLabel("First step").fill("welcome");
    await form.getByLabel("Steps (JSON)").fill(
      JSON.stringify({
        welcome: { ...example.welcome, next: "wait" },
        wait: { type: "delay", amount: 1, unit: "hours", next: null },
      }),
    );
    await snap("new-journey");
    await form.getByRole("button", { name: "Create draft" }).click();
    const row = page.locator("tr", { hasText: "Welcome series" });
    await row.waitFor();
    const id = await row.getAttribute("data-journey");
    assert.ok(id);
    assert.match((await row.textContent()) ?? "", /Joins segment Subscribers/);

    await rowAction(id, "Activate");
    await statusOf(id, "active");
    await page.getByRole("status").getByText('"Welcome series" is active').waitFor();
    assert.equal((await http.api("GET", `/journeys/${id}`)).status, "active");

    // Both subscribers were in the segment at activation: each gets the welcome email through
    // the SMTP server, then waits an hour.
    const sent = async () => {
      const { data } = await http.api("GET", `/journeys/${id}/enrollments`);
      if (data.length < 2) return false;
      for (const e of data) {
        const full = await http.api("GET", `/journeys/${id}/enrollments/${e.id}`);
        if (full.deliveries[0]?.status !== "sent") return false;
      }
      return true;
    };
    for (let i = 0; i < 100 && !(await sent()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(sink?.receipts.map((m) => m.subject).sort(), [
      "Welcome, ada@example.com!",
      "Welcome, bob@example.com!",
    ]);
    await row.getByRole("button", { name: "Welcome series", exact: true }).click();
    const enrollments = page.getByRole("region", { name: "Enrollments in Welcome series" });
    await enrollments.locator("tr[data-enrollment]").nth(1).waitFor();
    assert.equal(await enrollments.locator("tr[data-enrollment] .status").first().textContent(), "waiting");
    await enrollments.getByRole("button", { name: "Trail" }).first().click();
    const trail = enrollments.locator(".trail li");
    await trail.nth(2).waitFor();
    const lines = await trail.allTextContents();
    assert.match(lines[0] ?? "", /Entered the journey at step "welcome"/);
    assert.match(
      lines[1] ?? "",
      /Queued email message "welcome" with template tpl_\S+ \(now sent, <[^>]+>\)/,
    );
    assert.match(lines[2] ?? "", /Waiting 1 hour at delay "wait", until /);
    await snap("enrollments");
    await enrollments.getByLabel("Show enrollments").selectOption("exited");
    await enrollments.getByText("No enrollment is exited now.").waitFor();
    await enrollments.getByRole("button", { name: "Close" }).click();
    await enrollments.waitFor({ state: "detached" });

    await rowAction(id, "Simulate");
    const simulate = page.getByRole("form", { name: "Simulate Welcome series" });
    await simulate.getByRole("button", { name: "Simulate" }).click();
    await simulate.getByText("Simulated 2 customer(s): 2 message(s), 0 of them would be skipped.").waitFor();
    const perStep = simulate.getByRole("table", { name: "Customers per step" });
    const counts = (node: string) => perStep.locator(`tr[data-node="${node}"] td`).allTextContents();
    assert.deepEqual(await counts("welcome"), ["welcome", "2", "2", "0", "0", "0"]);
    assert.deepEqual(await counts("wait"), ["wait", "2", "0", "0", "0", "2"]);
    await snap("simulate");
    await simulate.getByRole("button", { name: "Close" }).click();

    await rowAction(id, "Edit");
    const edit = page.getByRole("form", { name: "Edit Welcome series" });
    await edit.getByText("changed steps become a new version").waitFor();
    const steps = JSON.parse(await edit.getByLabel("Steps (JSON)").inputValue());
    steps.wait.amount = 2;
    await edit.getByLabel("Steps (JSON)").fill(JSON.stringify(steps));
    await edit.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").getByText('Saved "Welcome series" (version 2).').waitFor();
    assert.equal((await http.api("GET", `/journeys/${id}`)).nodes.wait.amount, 2);

    await rowAction(id, "Edit");
    await edit.getByLabel("Entry trigger (JSON)").fill('{ "type": "event", "event": "Signed Up" }');
    await edit.getByRole("button", { name: "Save" }).click();
    await edit
      .getByRole("alert")
      .getByText(/HTTP 409/)
      .waitFor();
    await edit.getByRole("button", { name: "Cancel" }).click();

    await rowAction(id, "Pause");
    await statusOf(id, "paused");

    await snap("paused");
    const dialog = new Promise<string>((resolve) =>
      page.once("dialog", (d) => {
        resolve(d.message());
        void d.accept();
      }),
    );
    await rowAction(id, "Archive");
    assert.match(await dialog, /cannot be undone/);
    await page.getByRole("status").getByText('"Welcome series" was archived').waitFor();
    await row.waitFor({ state: "detached" });
    assert.equal((await http.api("GET", `/journeys/${id}`)).status, "archived");
    // Archived journeys show on request; one can be duplicated into a new draft.
    await page.getByLabel("Show archived journeys").check();
    await statusOf(id, "archived");
    await rowAction(id, "Duplicate");
    await page
      .getByRole("status")
      .getByText(/^Created the draft ".+" from "Welcome series"\.$/)
      .waitFor();
    const drafts = (await http.api("GET", "/journeys")).data.filter(
      (j: { status: string; name: string }) => j.status === "draft" && j.name !== "Broken welcome",
    );
    assert.equal(drafts.length, 1);
    await page.getByLabel("Show archived journeys").uncheck();
    await page.locator(`tr[data-journey="${id}"]`).waitFor({ state: "detached" });
    await page.locator("tr", { hasText: "Copy of Welcome series" }).waitFor();
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("heading", { name: "Growth plan" }).waitFor();
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await page.getByLabel(/Email is opt-out/).check();
    await page.getByText("Saved: customers who never answered now receive marketing email.").waitFor();
    assert.equal((await http.api("GET", "")).settings.emailOptOut, true);
    await snap("settings");
  });

  it("finds a customer, shows their profile and activity, exports and erases them", async () => {
    await page.getByRole("link", { name: "Customers" }).click();
    await page.waitForURL(/\?component=customers$/);
    const table = page.getByRole("table", { name: "Customers" });
    await table.getByRole("button", { name: "ada@example.com" }).waitFor();
    await table.getByRole("button", { name: "bob@example.com" }).waitFor();

    await page.getByLabel("Search customers").fill("bo");
    await page.getByRole("button", { name: "Search" }).click();
    await table.getByRole("button", { name: "ada@example.com" }).waitFor({ state: "detached" });
    await table.getByRole("button", { name: "bob@example.com" }).click();

    const profile = page.getByRole("region", { name: "Customer bob@example.com" });
    await profile.getByRole("heading", { name: "bob@example.com" }).waitFor();
    const facts = await profile.locator(".subscriptions").textContent();
    assert.match(facts ?? "", /emailsubscribed/);
    assert.match((await profile.locator(".segments").textContent()) ?? "", /Subscribers/);
    await profile
      .locator('.timeline li[data-kind="segment"]', { hasText: "Joined segment Subscribers" })
      .waitFor();
    await profile.locator('.timeline li[data-kind="event"]', { hasText: "identify" }).waitFor();
    await profile
      .locator('.timeline li[data-kind="message"]', { hasText: /email message \(template tpl_\S+\): sent$/ })
      .waitFor();
    await snap("customer");

    const download = page.waitForEvent("download");
    await profile.getByRole("button", { name: "Export JSON" }).click();
    const file = await (await download).path();
    const exported = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(exported.profile.email, "bob@example.com");

    const dialog = new Promise<string>((resolve) =>
      page.once("dialog", (d) => {
        resolve(d.message());
        void d.accept();
      }),
    );
    await profile.getByRole("button", { name: "Erase" }).click();
    assert.match(await dialog, /deleted for good/);
    await page.getByRole("status").getByText("bob@example.com was erased").waitFor();
    await page.getByText("No customers match.").waitFor();
    const left = await http.api("GET", "/customers?email=bob@example.com");
    assert.equal(left.data.length, 0);
  });

  it("imports customers from a CSV file, typing a column and listing the rejected rows", async () => {
    await page.getByRole("button", { name: "Import CSV" }).click();
    const form = page.getByRole("form", { name: "Import customers" });
    const csv =
      'email,"Full name",age,ignored\ncara@example.com,Cara,41,x\nnot-an-email,Dan,30,y\ndee@example.com,Dee,old,z\n';
    await form
      .getByLabel("CSV file")
      .setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    assert.equal(await form.getByLabel('Column "Full name"').inputValue(), "attributes.Full name");
    await form.getByLabel('Column "age"').fill("attributes.age:number");
    await form.getByLabel('Column "ignored"').fill("");
    await form.getByRole("button", { name: "Import" }).click();
    const report = form.locator(".import-report");
    await report.getByText("3 rows: 1 created, 0 updated, 0 skipped, 2 rejected.").waitFor();
    const rejected = await report
      .getByRole("table", { name: "Rejected rows" })
      .locator("tbody tr")
      .allTextContents();
    assert.equal(rejected.length, 2);
    assert.match(rejected[0] ?? "", /^3invalid_email/);
    assert.match(rejected[1] ?? "", /^4invalid_number.*age/);
    await snap("import");
    await page.getByLabel("Search customers").fill("cara");
    await page.getByRole("button", { name: "Search" }).click();
    await page
      .getByRole("table", { name: "Customers" })
      .getByRole("button", { name: "cara@example.com" })
      .waitFor();
    const [cara] = (await http.api("GET", "/customers?email=cara@example.com")).data;
    assert.deepEqual(cara.attributes, { "Full name": "Cara", age: 41 });
  });

  it("adds a customer by hand and edits their profile and subscriptions", async () => {
    await page.getByRole("button", { name: "+ New customer" }).click();
    const create = page.getByRole("form", { name: "New customer" });
    await create.getByLabel("User ID").fill("eve");
    await create.getByLabel("Email", { exact: true }).fill("eve@example.com");
    await create.getByLabel("Phone").fill("not a phone");
    await create.getByLabel("Attributes (JSON)").fill('{ "plan": "pro" }');
    await create.getByLabel("sms").selectOption("subscribed");
    await create.getByRole("button", { name: "Create customer" }).click();
    await create.getByRole("alert").getByText("HTTP 400 · invalid_customer").waitFor();
    assert.match(
      (await create.getByRole("alert").locator("li").textContent()) ?? "",
      /^phone .*not a valid international number/,
    );
    await create.getByLabel("Phone").fill("+49 151 12345678");
    await create.getByRole("button", { name: "Create customer" }).click();
    await page.getByRole("status").getByText("Created eve@example.com.").waitFor();

    const profile = page.getByRole("region", { name: "Customer eve@example.com" });
    assert.match((await profile.locator(".facts").first().textContent()) ?? "", /Phone\+4915112345678/);
    assert.match((await profile.locator(".subscriptions").textContent()) ?? "", /smssubscribed/);
    await profile.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit customer" });
    await edit.getByLabel("Attributes (JSON)").fill('{ "age": 33 }');
    await edit.getByLabel("email", { exact: true }).selectOption("unsubscribed");
    await edit.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").getByText("Saved eve@example.com.").waitFor();
    await snap("customer-edited");
    const [eve] = (await http.api("GET", "/customers?userId=eve")).data;
    assert.deepEqual(eve.attributes, { age: 33 });
    assert.equal(eve.subscriptions.email, "unsubscribed");
    assert.equal(eve.subscriptions.sms, "subscribed");

    // Consent per communication type shows on the profile.
    await http.api("PATCH", `/customers/${eve.id}`, { topics: { promotions: { email: "unsubscribed" } } });
    await profile.getByRole("button", { name: "Edit" }).click();
    await page.getByRole("form", { name: "Edit customer" }).getByRole("button", { name: "Cancel" }).click();
    assert.equal(await profile.locator(".topics").textContent(), "promotionsemail unsubscribed");
  });
});
