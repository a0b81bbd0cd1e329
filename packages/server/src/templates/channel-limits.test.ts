import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, expect } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { renderedOverLimit, smsSegments } from "./channel-limits";
import { isMjml } from "./mjml";

describe("sms segments", () => {
  it("counts GSM-7 septets, extension characters twice, and UCS-2 units", () => {
    assert.deepEqual(smsSegments("Hi Ada"), { encoding: "GSM-7", characters: 6, segments: 1 });
    assert.equal(smsSegments("x".repeat(160)).segments, 1);
    assert.equal(smsSegments("x".repeat(161)).segments, 2);
    assert.equal(smsSegments("x".repeat(306)).segments, 2);
    assert.equal(smsSegments("x".repeat(307)).segments, 3);
    // "€" is in the extension table: 80 of them are 160 septets.
    assert.equal(smsSegments("€".repeat(80)).segments, 1);
    assert.equal(smsSegments("€".repeat(81)).segments, 2);
    assert.deepEqual(smsSegments("Zażółć"), { encoding: "UCS-2", characters: 6, segments: 1 });
    assert.equal(smsSegments("é".repeat(160)).encoding, "GSM-7", "é is in the GSM set");
    // An emoji is two UTF-16 units: 35 fill one UCS-2 segment exactly.
    assert.deepEqual(smsSegments("👋".repeat(35)), { encoding: "UCS-2", characters: 35, segments: 1 });
    assert.equal(smsSegments("👋".repeat(36)).segments, 2);
  });

  it("names the field of a rendered message over its channel's limit", () => {
    assert.equal(renderedOverLimit("sms", { body: "x".repeat(1600) }), null);
    assert.equal(
      renderedOverLimit("sms", { body: "x".repeat(1601) }),
      "body renders to 1601 characters; sms allows at most 1600",
    );
    assert.match(
      renderedOverLimit("push", { title: "t".repeat(101), body: "b" }) ?? "",
      /^title renders to 101/,
    );
  });

  it("recognises an MJML body by its first tag", () => {
    assert.equal(isMjml("  <!-- hi --> <mjml><mj-body></mj-body></mjml>"), true);
    assert.equal(isMjml("<html><body><mjml></mjml></body></html>"), false);
    assert.equal(isMjml("<mjmlx>"), false);
  });
});

const MJML = `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Hi {{ customer.firstName | default: "there" }}</mj-text>
        <mj-button href="https://shop.example/orders/{{ event.orderId }}">Track your order</mj-button>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] templates per channel`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);

    it("compiles an MJML email, fills its Liquid per customer and generates the plain-text part", async () => {
      const template = await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "Shipped",
        channel: "email",
        subject: "Shipped",
        body: MJML,
      }).then(expect(201));
      assert.equal(template.body, MJML, "the MJML source is what is stored and shown");
      const customer = await api(ctx, ctx.alpha, "POST", "/customers", {
        email: "ada@example.com",
        attributes: { firstName: "Ada" },
      }).then(expect(201));
      const preview = await api(ctx, ctx.alpha, "POST", `/templates/${template.id}/preview`, {
        customerId: customer.id,
        event: { orderId: "A-17" },
      }).then(expect(200));
      assert.match(preview.html, /^<!doctype html>/i);
      assert.match(preview.html, /Hi Ada/);
      assert.match(preview.html, /href="https:\/\/shop\.example\/orders\/A-17"/);
      assert.doesNotMatch(preview.html, /<mj-/);
      assert.match(preview.text, /Hi Ada/);
      assert.match(preview.text, /TRACK YOUR ORDER|Track your order/);
      assert.doesNotMatch(preview.text, /<|mso|@media/, "the text part is text");
    });

    it("refuses MJML that does not validate, naming the line, and never reads an include", async () => {
      const bad = await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "Broken",
        channel: "email",
        subject: "x",
        body: "<mjml>\n<mj-body>\n<mj-text>outside a column</mj-text>\n<mj-nonsense/>\n</mj-body>\n</mjml>",
      }).then(expect(400));
      assert.equal(bad.error.code, "invalid_template");
      assert.match(bad.error.message, /^body: MJML: line 3: mj-text cannot be used inside mj-body/);
      assert.doesNotMatch(bad.error.message, /\/work|\//, "no server path in the answer");

      const include = await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "Include",
        channel: "email",
        subject: "x",
        body: '<mjml><mj-body><mj-include path="/etc/passwd" /><mj-section><mj-column><mj-text>ok</mj-text></mj-column></mj-section></mj-body></mjml>',
      });
      if (include.statusCode === 201) {
        const preview = await api(ctx, ctx.alpha, "POST", `/templates/${include.json().id}/preview`, {}).then(
          expect(200),
        );
        assert.doesNotMatch(preview.html, /root:/);
      } else assert.equal(include.statusCode, 400);
    });

    it("checks each channel's length limits when saving and when rendering", async () => {
      const long = await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "Long",
        channel: "sms",
        body: "x".repeat(1601),
      }).then(expect(400));
      assert.equal(long.error.code, "invalid_template_content");
      assert.equal(long.error.message, "body must be at most 1600 characters on sms (it has 1601)");
      const title = await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "Push",
        channel: "push",
        title: "t".repeat(101),
        body: "b",
      }).then(expect(400));
      assert.match(title.error.message, /^title must be at most 100 characters on push/);

      // Within the limit as written, over it once rendered: the render fails, naming the field.
      const grows = await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "Grows",
        channel: "sms",
        body: "{{ event.note }}",
      }).then(expect(201));
      const over = await api(ctx, ctx.alpha, "POST", `/templates/${grows.id}/preview`, {
        event: { note: "y".repeat(2000) },
      }).then(expect(422));
      assert.match(over.error.message, /body renders to 2000 characters; sms allows at most 1600/);
    });

    it("shows an SMS preview's length and segments", async () => {
      const sms = await api(ctx, ctx.alpha, "POST", "/templates", {
        name: "Hello",
        channel: "sms",
        body: "Hi {{ event.name }} 👋",
      }).then(expect(201));
      const preview = await api(ctx, ctx.alpha, "POST", `/templates/${sms.id}/preview`, {
        event: { name: "Ada" },
      }).then(expect(200));
      assert.equal(preview.body, "Hi Ada 👋");
      assert.deepEqual(preview.sms, { encoding: "UCS-2", characters: 8, segments: 1 });
    });
  });
}
