import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newId } from "../ids";
import { DIALECTS } from "../testing/dialects";
import { useStore } from "../testing/use-store";
import {
  addTracking,
  readClickLink,
  readOpenToken,
  type TrackingLinks,
  trackingLinks,
} from "./tracking-links";

/** Links that show what was signed: `T[index]<url>` and `PIXEL`. */
const fake: TrackingLinks = { open: "PIXEL", click: (url, index) => `T[${index}]${url}` };
const unsubscribeUrl = "https://journeys.test/u/bus_1.cus_1.email.sig";

describe("addTracking", () => {
  it("rewrites http(s) links whatever their quoting, counting them in order", () => {
    const html =
      `<a href="https://shop.example/a">A</a> <A class='x' HREF='http://shop.example/b'>B</A>` +
      ` <a href=https://shop.example/c>C</a> <abbr href="https://no.example/">x</abbr>`;
    assert.equal(
      addTracking(html, { ...fake, open: null }),
      `<a href="T[0]https://shop.example/a">A</a> <A class='x' href="T[1]http://shop.example/b">B</A>` +
        ` <a href="T[2]https://shop.example/c">C</a> <abbr href="https://no.example/">x</abbr>`,
    );
  });

  it("signs the decoded URL and escapes the link it writes", () => {
    const out = addTracking(
      `<a title="a > b" href=" https://shop.example/?a=1&amp;b=2&#38;c=&#x33;&nosuch;d ">x</a>`,
      { open: null, click: (url) => `https://t.example/?u=${url}` },
    );
    assert.equal(
      out,
      `<a title="a > b" href="https://t.example/?u=https://shop.example/?a=1&amp;b=2&amp;c=3&amp;nosuch;d">x</a>`,
    );
  });

  it("keeps the unsubscribe link, mailto, tel, anchors, notrack links and comments as they are", () => {
    const kept =
      `<a href="${unsubscribeUrl}">Unsubscribe</a><a href='${unsubscribeUrl.replace(/\./g, "&#46;")}'>U</a>` +
      `<a href="mailto:hi@shop.example">Mail</a><a href="tel:+4915112345678">Call</a>` +
      `<a href="#top">Top</a><a href="/relative">Rel</a><a href="javascript:alert(1)">J</a>` +
      `<a data-journeys-notrack href="https://shop.example/private">Mine</a>` +
      `<!--[if mso]><a href="https://shop.example/outlook">O</a></body><![endif]-->`;
    assert.equal(addTracking(kept, { ...fake, open: null }, unsubscribeUrl), kept);
    assert.match(
      addTracking(kept, fake, unsubscribeUrl),
      /<!\[endif\]--><img src="PIXEL"[^>]*>$/,
      "the commented </body> is not the end",
    );
  });

  it("leaves a link alone when its tracked link would not fit, without using up an index", () => {
    const links: TrackingLinks = {
      open: null,
      click: (url, i) => (url.includes("long") ? null : `T[${i}]${url}`),
    };
    assert.equal(
      addTracking(`<a href="https://a.example/long">a</a><a href="https://b.example/">b</a>`, links),
      `<a href="https://a.example/long">a</a><a href="T[0]https://b.example/">b</a>`,
    );
  });

  it("puts the open pixel before the last </body>, or at the end", () => {
    const links: TrackingLinks = { open: "https://t.example/t/o/x.gif", click: () => null };
    const pixel = `<img src="https://t.example/t/o/x.gif" width="1" height="1" alt="" style="display:none">`;
    assert.equal(
      addTracking("<html><body><p>Hi</p></BODY ></html>", links),
      `<html><body><p>Hi</p>${pixel}</BODY ></html>`,
    );
    assert.equal(addTracking("<p>Hi</p>", links), `<p>Hi</p>${pixel}`);
  });
});

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] tracking link tokens`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect);
    const businessId = newId("bus");
    const deliveryId = newId("dlv");
    const target = "https://shop.example/sale?utm_source=news&x=ü#top";
    const parts = (link: string) => {
      const url = new URL(link);
      const token = url.pathname.split("/").at(-1)!;
      return { token, u: url.searchParams.get("u") ?? undefined };
    };

    it("reads back what it signed, in tokens that fit the router's path parameter", async () => {
      const links = await trackingLinks(ctx.store, "https://journeys.test/", { businessId, deliveryId });
      assert.match(String(links.open), /^https:\/\/journeys\.test\/t\/o\/bus_\w+\.dlv_\w+\.[\w-]{22}\.gif$/);
      const open = parts(String(links.open));
      assert.ok(open.token.length <= 100, open.token);
      assert.deepEqual(await readOpenToken(ctx.store, open.token), { businessId, deliveryId });

      const click = parts(String(links.click(target, 12)));
      assert.ok(click.token.length <= 100, click.token);
      assert.deepEqual(await readClickLink(ctx.store, click.token, click.u), {
        businessId,
        deliveryId,
        url: target,
        index: 12,
      });
    });

    it("refuses a token or URL that was changed", async () => {
      const links = await trackingLinks(ctx.store, "https://journeys.test", { businessId, deliveryId });
      const open = parts(String(links.open)).token.replace(/\.gif$/, "");
      const click = parts(String(links.click(target, 0)));
      const other = newId("dlv");
      const otherBusiness = newId("bus");
      const lastChar = (s: string) => `${s.slice(0, -1)}${s.endsWith("A") ? "B" : "A"}`;

      for (const forged of [
        open.replace(deliveryId, other),
        open.replace(businessId, otherBusiness),
        lastChar(open),
        `${open}.x`,
        // An open token is not a click token, nor the other way round.
        click.token.replace(".0.", "."),
      ])
        assert.equal(await readOpenToken(ctx.store, forged), null, forged);

      const elsewhere = Buffer.from("https://evil.example/").toString("base64url");
      for (const [token, u] of [
        [click.token.replace(deliveryId, other), click.u],
        [click.token.replace(businessId, otherBusiness), click.u],
        [click.token.replace(".0.", ".1."), click.u],
        [lastChar(click.token), click.u],
        [click.token, elsewhere],
        [click.token, `${click.u}A`],
        [click.token, undefined],
        [open, click.u],
      ] as const)
        assert.equal(await readClickLink(ctx.store, token, u), null, `${token} ${u}`);
    });

    it("never verifies a link to anything but http(s)", async () => {
      const links = await trackingLinks(ctx.store, "https://journeys.test", { businessId, deliveryId });
      for (const url of ["javascript:alert(1)", "//evil.example/", "data:text/html,hi"]) {
        const click = parts(String(links.click(url, 0)));
        assert.equal(await readClickLink(ctx.store, click.token, click.u), null, url);
      }
    });

    it("gives no link for ids that would not fit", async () => {
      const links = await trackingLinks(ctx.store, "https://journeys.test", {
        businessId,
        deliveryId: `dlv_${"x".repeat(80)}`,
      });
      assert.equal(links.open, null);
      assert.equal(links.click(target, 0), null);
    });
  });
}
