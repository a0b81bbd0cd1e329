import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Customer } from "../customers/customer";
import { renderLiquid } from "./liquid";
import { renderTemplate } from "./render";
import type { Template } from "./template";

const LINK = "https://journeys.example.com/u/tok.email.sig";

const customer = (attributes: Record<string, unknown>): Customer => ({
  id: "cus_1",
  userId: null,
  email: "ada@example.com",
  phone: null,
  timezone: null,
  locale: null,
  attributes,
  subscriptions: { email: "subscribed" },
  topics: {},
  addresses: {},
  createdAt: 0,
  updatedAt: 0,
});

const email = (body: string, text?: string): Template => ({
  id: "tpl_1",
  name: "t",
  channel: "email",
  transactional: false,
  subject: "Hi",
  body,
  ...(text === undefined ? {} : { text }),
  createdAt: 0,
  updatedAt: 0,
});

async function render(template: Template, attributes: Record<string, unknown> = {}) {
  const out = await renderTemplate(template, {
    customer: customer(attributes),
    event: null,
    business: { name: "Shop" },
    unsubscribeUrl: LINK,
  });
  assert.equal(out.channel, "email");
  return out as Extract<typeof out, { channel: "email" }>;
}

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

describe("unsubscribe link in rendered emails", () => {
  it("is added when the template's own link is not rendered (false if, Liquid comment)", async () => {
    const bodies = [
      '{% if customer.vip %}<a href="{{ unsubscribe_url }}">Unsubscribe</a>{% endif %}<p>Hi</p>',
      "{% comment %}the footer has unsubscribe_url{% endcomment %}<p>Hi</p>",
      "<!-- unsubscribe_url --><p>Hi</p>",
    ];
    for (const body of bodies) {
      const out = await render(email(body, "Hi {% if customer.vip %}{{ unsubscribe_url }}{% endif %}"));
      assert.equal(count(out.html, `href="${LINK}"`), 1, body);
      assert.match(out.text, new RegExp(`Unsubscribe: ${LINK.replace(/\./g, "\\.")}$`));
    }
    const derived = await render(email(bodies[0]!));
    assert.match(derived.text, /Unsubscribe \(https:\/\/journeys\.example\.com\/u\/tok\.email\.sig\)/);
  });

  it("is not added twice when the template renders it", async () => {
    const out = await render(
      email(
        '{% if customer.vip %}<p>VIP</p>{% endif %}<a href="{{ unsubscribe_url }}">Leave</a>',
        "Leave: {{ unsubscribe_url }}",
      ),
      { vip: true },
    );
    assert.equal(count(out.html, LINK), 1);
    assert.doesNotMatch(out.html, /Unsubscribe/);
    assert.equal(out.text, `Leave: ${LINK}`);
  });
});

describe("HTML escaping in email bodies", () => {
  const scope = { customer: { name: "O'Brien & Sons", bio: '<img src=x onerror="alert(1)">' } };

  it("escapes plain output once, so a customer's value cannot inject markup", async () => {
    assert.equal(await renderLiquid("{{ customer.name }}", scope, "html"), "O&#39;Brien &amp; Sons");
    assert.equal(
      await renderLiquid("<p>{{ customer.bio }}</p>{% echo customer.bio %}", scope, "html"),
      "<p>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</p>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;",
    );
  });

  it("does not escape again what `| escape` already escaped", async () => {
    for (const filter of ["escape", "escape_once"]) {
      assert.equal(
        await renderLiquid(`{{ customer.name | ${filter} }}`, scope, "html"),
        "O&#39;Brien &amp; Sons",
      );
    }
    assert.equal(
      await renderLiquid("{{ customer.bio | escape }}", scope, "html"),
      "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;",
    );
  });

  it("does not escape twice when another filter follows `| escape`, and still escapes what it adds", async () => {
    assert.equal(
      await renderLiquid('{{ customer.name | escape | append: " Ltd" }}', scope, "html"),
      "O&#39;Brien &amp; Sons Ltd",
    );
    assert.equal(
      await renderLiquid("{{ customer.name | escape | prepend: customer.bio }}", scope, "html"),
      "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;O&#39;Brien &amp; Sons",
    );
  });

  it("writes a capture as the markup it captured, its outputs escaped once", async () => {
    const source =
      "{% capture greeting %}<b>Hi</b> {{ customer.name }} {{ customer.bio }}{% endcapture %}" +
      "{{ greeting }}|{{ greeting | size }}|{% if greeting == blank %}blank{% endif %}";
    const html = "<b>Hi</b> O&#39;Brien &amp; Sons &lt;img src=x onerror=&#34;alert(1)&#34;&gt;";
    assert.equal(await renderLiquid(source, scope, "html"), `${html}|${html.length}|`);
    assert.equal(
      await renderLiquid(
        "{% capture s %}  {% endcapture %}{% if s == blank %}blank{% endif %}",
        scope,
        "html",
      ),
      "blank",
    );
  });

  it("derives a text part that reads as the customer wrote it", async () => {
    const out = await render(email("<p>{{ customer.name | escape }}</p>"), { name: "O'Brien & Sons" });
    assert.equal(out.html.split("<p style")[0], "<p>O&#39;Brien &amp; Sons</p>\n");
    assert.match(out.text, /^O'Brien & Sons\n/);
  });
});
