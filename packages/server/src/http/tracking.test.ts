import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { putChannel } from "../channels/setup";
import { startTestSmtpServer, type TestSmtpServer } from "../channels/test-smtp-server";
import { trackingLinks } from "../channels/tracking-links";
import { createCustomer } from "../customers/edit";
import { dispatchDue } from "../dispatcher/dispatch";
import type { DispatchOptions } from "../dispatcher/options";
import { deliveryRow, queueDelivery } from "../dispatcher/testing";
import { createTemplate } from "../templates/templates";
import { DIALECTS } from "../testing/dialects";
import { localProviders } from "../testing/outbound";
import { useApp } from "../testing/use-app";

const PUBLIC_URL = "https://journeys.test";
const pathOf = (link: string | null) => {
  const url = new URL(String(link));
  return `${url.pathname}${url.search}`;
};

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] open and click tracking`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const status = async (businessId: string, id: string) =>
      (await deliveryRow(ctx.resources, businessId, id)).status;
    /** A delivery of `businessId` that was sent, and its tracked links. */
    const sent = async (businessId = ctx.alpha.businessId) => {
      const { id } = await queueDelivery(ctx.resources, {
        businessId,
        customerId: "cus_t",
        templateId: "tpl_t",
      });
      await ctx.store.db.updateTable("deliveries").set({ status: "sent" }).where("id", "=", id).execute();
      return { id, links: await trackingLinks(ctx.store, PUBLIC_URL, { businessId, deliveryId: id }) };
    };
    const get = (url: string, method: "GET" | "HEAD" = "GET") => ctx.app.inject({ method, url });

    it("answers the open pixel as an uncached GIF and records the open", async () => {
      const d = await sent();
      const pixel = await get(pathOf(d.links.open));
      assert.equal(pixel.statusCode, 200);
      assert.equal(pixel.headers["content-type"], "image/gif");
      assert.equal(pixel.headers["cache-control"], "no-store, private");
      assert.equal(pixel.rawPayload.length, 43);
      assert.equal(pixel.rawPayload.subarray(0, 6).toString(), "GIF89a");
      assert.equal(await status(ctx.alpha.businessId, d.id), "opened");
    });

    it("still answers the pixel for a forged token, and records nothing", async () => {
      const d = await sent();
      const forged = pathOf(d.links.open).replace(/.\.gif$/, (c) => (c[0] === "A" ? "B.gif" : "A.gif"));
      const pixel = await get(forged);
      assert.equal(pixel.statusCode, 200);
      assert.equal(pixel.headers["content-type"], "image/gif");
      assert.equal((await get("/t/o/nonsense.gif")).statusCode, 200);
      assert.equal(await status(ctx.alpha.businessId, d.id), "sent");
    });

    it("records a click and redirects to the exact URL; a later open keeps it clicked", async () => {
      const d = await sent();
      const target = "https://shop.example/sale?utm_source=news&id=7#top";
      const click = await get(pathOf(d.links.click(target, 0)));
      assert.equal(click.statusCode, 302);
      assert.equal(click.headers.location, target);
      assert.equal(click.headers["cache-control"], "no-store, private");
      assert.equal(await status(ctx.alpha.businessId, d.id), "clicked");

      await get(pathOf(d.links.open));
      assert.equal(await status(ctx.alpha.businessId, d.id), "clicked");
    });

    it("answers a changed target 404 without redirecting or recording", async () => {
      const d = await sent();
      const link = new URL(String(d.links.click("https://shop.example/", 0)));
      link.searchParams.set("u", Buffer.from("https://evil.example/").toString("base64url"));
      const tampered = await get(`${link.pathname}${link.search}`);
      assert.equal(tampered.statusCode, 404);
      assert.equal(tampered.headers.location, undefined);
      assert.match(tampered.body, /Link not recognised/);
      const missing = await get(link.pathname);
      assert.equal(missing.statusCode, 404);
      assert.equal(await status(ctx.alpha.businessId, d.id), "sent");
    });

    it("never redirects to a signed URL that is not http(s)", async () => {
      const d = await sent();
      const click = await get(pathOf(d.links.click("javascript:alert(1)", 0)));
      assert.equal(click.statusCode, 404);
      assert.equal(click.headers.location, undefined);
      assert.equal(await status(ctx.alpha.businessId, d.id), "sent");
    });

    it("cannot move another business's delivery", async () => {
      const theirs = await sent(ctx.beta.businessId);
      // A genuine link of Alpha's naming Beta's delivery id: Alpha has no such delivery.
      const crossed = await trackingLinks(ctx.store, PUBLIC_URL, {
        businessId: ctx.alpha.businessId,
        deliveryId: theirs.id,
      });
      await get(pathOf(crossed.open));
      assert.equal((await get(pathOf(crossed.click("https://shop.example/", 0)))).statusCode, 302);
      // Beta's own link with Alpha's id put in: the signature does not verify.
      const swapped = pathOf(theirs.links.click("https://shop.example/", 0)).replace(
        ctx.beta.businessId,
        ctx.alpha.businessId,
      );
      assert.equal((await get(swapped)).statusCode, 404);
      assert.equal(await status(ctx.beta.businessId, theirs.id), "sent");
    });

    it("records nothing for HEAD (link scanners)", async () => {
      const d = await sent();
      assert.equal((await get(pathOf(d.links.open), "HEAD")).statusCode, 200);
      assert.equal((await get(pathOf(d.links.click("https://shop.example/", 0)), "HEAD")).statusCode, 302);
      assert.equal(await status(ctx.alpha.businessId, d.id), "sent");
    });

    describe("sent email", () => {
      const t = {} as { smtp: TestSmtpServer; options: DispatchOptions };
      before(async () => {
        if (dialect.skip) return;
        t.smtp = await startTestSmtpServer();
        t.options = { providers: localProviders(), publicUrl: `${PUBLIC_URL}/`, random: () => 0.5 };
        await putChannel(ctx.resources, ctx.alpha.businessId, "email", {
          provider: "smtp",
          host: "127.0.0.1",
          port: t.smtp.port,
          secure: false,
          from: "Shop <news@shop.example>",
        });
      });
      after(async () => {
        await t.options?.providers.close();
        await t.smtp?.close();
      });

      it("tracks a marketing email's links and opens, but not a transactional one's", async () => {
        const businessId = ctx.alpha.businessId;
        const { customer } = await createCustomer(ctx.resources, businessId, {
          email: "ada@example.com",
          subscriptions: { email: "subscribed" },
        });
        const body =
          `<html><body><p><a href="https://shop.example/sale?a=1&amp;b=2">Sale</a>` +
          ` <a href="mailto:help@shop.example">Help</a> <a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>`;
        const template = async (transactional: boolean) =>
          (
            await createTemplate(ctx.resources, businessId, {
              name: transactional ? "Receipt" : "News",
              channel: "email",
              subject: transactional ? "Your receipt" : "News",
              body,
              transactional,
            })
          ).id;
        const news = await queueDelivery(ctx.resources, {
          businessId,
          customerId: customer.id,
          templateId: await template(false),
        });
        const receipt = await queueDelivery(ctx.resources, {
          businessId,
          customerId: customer.id,
          templateId: await template(true),
          nodeId: "receipt",
        });
        assert.equal((await dispatchDue(ctx.resources, t.options)).sent, 2);
        const mail = (subject: string) => {
          const m = t.smtp.messages.find((m) => m.subject === subject);
          assert.ok(m, subject);
          return { html: String(m.html), text: String(m.text) };
        };

        const tracked = mail("News");
        const click = tracked.html.match(/href="(https:\/\/journeys\.test\/t\/c\/[^"]+)"/)?.[1];
        assert.ok(click, tracked.html);
        const pixel = tracked.html.match(/<img src="(https:\/\/journeys\.test\/t\/o\/[^"]+\.gif)"/)?.[1];
        assert.ok(pixel, tracked.html);
        assert.match(tracked.html, /href="mailto:help@shop\.example"/);
        assert.match(tracked.html, /href="https:\/\/journeys\.test\/u\/[^"]+"/, "unsubscribe stays direct");
        assert.match(tracked.text, /https:\/\/shop\.example\/sale\?a=1&b=2/, "the text part keeps the link");
        assert.doesNotMatch(tracked.text, /\/t\/c\//);

        await get(pathOf(pixel));
        assert.equal(await status(businessId, news.id), "opened");
        const redirect = await get(pathOf(click.replace(/&amp;/g, "&")));
        assert.equal(redirect.statusCode, 302);
        assert.equal(redirect.headers.location, "https://shop.example/sale?a=1&b=2");
        assert.equal(await status(businessId, news.id), "clicked");

        const plain = mail("Your receipt");
        assert.match(plain.html, /href="https:\/\/shop\.example\/sale\?a=1&amp;b=2"/);
        assert.doesNotMatch(plain.html, /\/t\/[oc]\//);
        assert.equal(await status(businessId, receipt.id), "sent");
      });
    });
  });
}
