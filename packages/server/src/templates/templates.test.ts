import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, expect } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { htmlToText } from "./text";

const email = {
  name: "Welcome",
  channel: "email",
  subject: "Welcome, {{ customer.firstName | default: 'friend' }}",
  body: "<h1>Hi {{ customer.email }}</h1><p>Plan {{ customer.attributes.plan }} / {{ customer.plan }}, coupon {{ event.coupon }} at {{ business.name }}</p>",
};

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] templates API`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);

    it("creates, reads, lists, changes and deletes templates in the wire format", async () => {
      const created = await api(ctx, ctx.alpha, "POST", "/templates", email).then(expect(201));
      assert.match(created.id, /^tpl_/);
      assert.deepEqual(
        { name: created.name, channel: created.channel, subject: created.subject, body: created.body },
        { name: "Welcome", channel: "email", subject: email.subject, body: email.body },
      );
      assert.equal(created.transactional, false);
      const sms = await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "Nudge",
        channel: "sms",
        body: "{{ customer.firstName }}, your cart misses you",
        transactional: true,
      }).then(expect(201));
      assert.equal(sms.transactional, true);

      const got = await api(ctx, ctx.alpha, "GET", `/templates/${created.id}`).then(expect(200));
      assert.equal(got.subject, email.subject);
      const list = await api(ctx, ctx.alpha, "GET", "/templates?channel=sms").then(expect(200));
      assert.deepEqual(
        list.data.map((x: { id: string }) => x.id),
        [sms.id],
      );
      await api(ctx, ctx.beta, "GET", `/templates/${created.id}`).then(expect(404));

      const changed = await api(ctx, ctx.alpha, "PATCH", `/templates/${created.id}`, {
        subject: "New",
        text: "Plain {{ customer.email }}",
      }).then(expect(200));
      assert.equal(changed.subject, "New");
      assert.equal(changed.text, "Plain {{ customer.email }}");
      assert.equal(changed.body, email.body);
      const cleared = await api(ctx, ctx.alpha, "PATCH", `/templates/${created.id}`, { text: null }).then(
        expect(200),
      );
      assert.equal(cleared.text, undefined);
      const moved = await api(ctx, ctx.alpha, "PATCH", `/templates/${created.id}`, { channel: "sms" }).then(
        expect(409),
      );
      assert.equal(moved.error.code, "channel_change");

      await api(ctx, ctx.alpha, "DELETE", `/templates/${created.id}`).then(expect(204));
      await api(ctx, ctx.alpha, "GET", `/templates/${created.id}`).then(expect(404));
    });

    it("refuses content that does not fit the channel, naming every field", async () => {
      const missing = await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "X",
        channel: "email",
        body: 7,
        title: "push only",
      }).then(expect(400));
      assert.equal(missing.error.code, "invalid_template_content");
      assert.deepEqual(missing.error.details.fields.map((f: { field: string }) => f.field).sort(), [
        "body",
        "subject",
        "title",
      ]);
      const push = await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "P",
        channel: "push",
        body: "b",
      }).then(expect(400));
      assert.deepEqual(
        push.error.details.fields.map((f: { field: string }) => f.field),
        ["title"],
      );
      const wa = await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "W",
        channel: "whatsapp",
        whatsappTemplate: { name: "order_update", language: "english", parameters: [1] },
      }).then(expect(400));
      assert.deepEqual(
        wa.error.details.fields.map((f: { field: string }) => f.field),
        ["whatsappTemplate.language", "whatsappTemplate.parameters"],
      );
      await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "W",
        channel: "whatsapp",
        whatsappTemplate: {
          name: "order_update",
          language: "en_US",
          parameters: ["{{ customer.firstName }}"],
        },
      }).then(expect(201));
      await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "T",
        channel: "carrier-pigeon",
        body: "x",
      }).then(expect(400));
    });

    it("refuses Liquid that does not parse, with the field and line", async () => {
      const bad = await api(ctx, ctx.alpha, "POST", "/templates", {
        ...email,
        body: "<p>ok</p>\n{% if customer.plan %}\n<p>never closed</p>",
      }).then(expect(400));
      assert.equal(bad.error.code, "invalid_template");
      assert.match(bad.error.message, /^body: Liquid does not parse at line 2/);
      assert.deepEqual(
        { field: bad.error.details.problems[0].field, line: bad.error.details.problems[0].line },
        { field: "body", line: 2 },
      );
      const filter = await api(ctx, ctx.alpha, "POST", "/templates", {
        ...email,
        subject: "{{ x | nope }}",
      }).then(expect(400));
      assert.match(filter.error.message, /undefined filter: nope/);
      const include = await api(ctx, ctx.alpha, "POST", "/templates", {
        ...email,
        body: "{% include 'secrets' %}",
      }).then(expect(400));
      assert.equal(include.error.code, "invalid_template", "no file system access from templates");
    });

    it("previews a template for a customer and an event, escaping HTML and adding the text part", async () => {
      const customer = await api(ctx, ctx.alpha, "POST", "/customers", {
        email: "ada@example.com",
        attributes: { plan: "<b>pro</b>", firstName: "Ada" },
      }).then(expect(201));
      const tpl = await api(ctx, ctx.alpha, "POST", "/templates", email).then(expect(201));
      const preview = await api(ctx, ctx.alpha, "POST", `/templates/${tpl.id}/preview`, {
        customerId: customer.id,
        event: { coupon: "SAVE10" },
      }).then(expect(200));
      assert.equal(preview.channel, "email");
      assert.equal(preview.subject, "Welcome, Ada");
      assert.match(
        preview.html,
        /Plan &lt;b&gt;pro&lt;\/b&gt; \/ &lt;b&gt;pro&lt;\/b&gt;, coupon SAVE10 at Alpha/,
      );
      assert.match(preview.html, /Unsubscribe/);
      assert.match(
        preview.text,
        /^Hi ada@example.com\n\nPlan <b>pro<\/b> \/ <b>pro<\/b>, coupon SAVE10 at Alpha/,
      );
      const sample = await api(ctx, ctx.alpha, "POST", `/templates/${tpl.id}/preview`, {}).then(expect(200));
      assert.equal(sample.subject, "Welcome, friend");
      await api(ctx, ctx.alpha, "POST", `/templates/${tpl.id}/preview`, { customerId: "cus_nobody" }).then(
        expect(404),
      );
    });
  });
}

describe("htmlToText", () => {
  it("keeps every word and link of the HTML", () => {
    assert.equal(
      htmlToText(
        '<html><head><style>p{}</style></head><body><h1>Hi &amp; welcome</h1><p>Shop <a href="https://x.test/s?a=1&amp;b=2">now</a></p><ul><li>one</li><li>two</li></ul></body></html>',
      ),
      "Hi & welcome\n\nShop now (https://x.test/s?a=1&b=2)\n\n- one\n- two",
    );
  });

  it("decodes every HTML entity, not only a handful", () => {
    assert.equal(
      htmlToText("<p>Caf&eacute; &mdash; it&rsquo;s &euro;5 &#x1F600; &hellip;</p>"),
      "Café — it’s €5 😀 …",
    );
  });

  it("keeps an image's alt text and a link that is its own label once", () => {
    assert.equal(
      htmlToText('<p><img src="logo.png" alt="Shop logo"> <a href="https://x.test">https://x.test</a></p>'),
      "Shop logo https://x.test",
    );
  });
});
