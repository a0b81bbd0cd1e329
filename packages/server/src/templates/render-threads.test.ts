import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blankCustomer } from "../customers/profile";
import { DIALECTS } from "../testing/dialects";
import { bearer, useApp } from "../testing/use-app";
import { renderTemplate } from "./render";
import { RenderThreads } from "./render-threads";
import type { Template } from "./template";

const customer = { ...blankCustomer("cus_1", 0), email: "ada@example.com", attributes: { name: "Ada" } };
const input = {
  customer,
  event: { plan: "pro" },
  business: { name: "Shop" },
  unsubscribeUrl: "https://u.test/x",
};
const email = (body: string): Template =>
  ({
    id: "tpl_1",
    name: "T",
    channel: "email",
    transactional: false,
    subject: "Hi {{ customer.name }}",
    body,
    createdAt: 0,
    updatedAt: 0,
  }) as Template;

/** A render that spends about `ms` between tags (liquidjs can check its budget there). */
const busy = (loops: number) =>
  `{% for a in (1..${loops}) %}{% for b in (1..300) %}x{% endfor %}{% endfor %}`;

describe("render threads", () => {
  it("render exactly as renderTemplate does", async () => {
    const renderer = new RenderThreads();
    try {
      const template = email("<p>{{ customer.name }} on {{ event.plan }} at {{ business.name }}</p>");
      assert.deepEqual(
        await renderer.render("bus_a", template, input),
        await renderTemplate(template, input),
      );
    } finally {
      await renderer.close();
    }
  });

  it("stop a template past the deadline inside one filter call, and go on with a new thread", async () => {
    const renderer = new RenderThreads({ threads: 1, deadlineMs: 100 });
    try {
      // Sorting a million-item range is one filter call: liquidjs cannot stop it on its own.
      await assert.rejects(
        renderer.render(
          "bus_a",
          email("{% assign a = (1..1000000) | sort | reverse | sort %}{{ a.size }}"),
          input,
        ),
        /took longer than 100 ms to render/,
      );
      const after = await renderer.render("bus_a", email("<p>ok</p>"), input);
      assert.equal(after.channel === "email" && after.html.startsWith("<p>ok</p>"), true);
    } finally {
      await renderer.close();
    }
  });

  it("stop a render past its budget between tags", async () => {
    const renderer = new RenderThreads({ threads: 1 });
    try {
      await assert.rejects(renderer.render("bus_a", email(busy(100_000)), input), /render limit exceeded/);
    } finally {
      await renderer.close();
    }
  });

  it("take businesses in turn: one with slow templates waits for its own renders, not another's", async () => {
    const renderer = new RenderThreads({ threads: 1 });
    try {
      const done: string[] = [];
      const track = (name: string, promise: Promise<unknown>) =>
        promise.then(
          () => done.push(name),
          () => done.push(name),
        );
      const slow = email(busy(200));
      await Promise.all([
        track("a1", renderer.render("bus_slow", slow, input)),
        track("a2", renderer.render("bus_slow", slow, input)),
        track("a3", renderer.render("bus_slow", slow, input)),
        track("b1", renderer.render("bus_fast", email("<p>quick</p>"), input)),
      ]);
      assert.deepEqual(done, ["a1", "b1", "a2", "a3"]);
    } finally {
      await renderer.close();
    }
  });
});

for (const dialect of DIALECTS.filter((d) => d.name === "sqlite")) {
  describe(`[${dialect.name}] template previews cost their own business`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const api = (key: string, method: "GET" | "POST", url: string, payload?: object) =>
      ctx.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });

    it("answers another business while one previews its slowest templates, and 429 past two at once", async () => {
      const alpha = `/api/v1/businesses/${ctx.alpha.businessId}`;
      const created = await api(ctx.alpha.apiKey, "POST", `${alpha}/templates`, {
        name: "Heavy",
        channel: "email",
        subject: "Heavy",
        body: busy(400),
      });
      assert.equal(created.statusCode, 201, created.body);
      const preview = `${alpha}/templates/${created.json().id}/preview`;
      await ctx.resources.renderer.render("warm", email("<p>warm</p>"), input); // threads loaded

      const finished: string[] = [];
      const previews = [1, 2, 3].map((n) =>
        api(ctx.alpha.apiKey, "POST", preview, {}).then((response) => {
          finished.push(`alpha ${n}`);
          return response;
        }),
      );
      const other = api(ctx.beta.apiKey, "GET", `/api/v1/businesses/${ctx.beta.businessId}/customers`).then(
        (response) => {
          finished.push("beta");
          return response;
        },
      );
      const [first, second, third] = await Promise.all(previews);
      assert.equal((await other).statusCode, 200);
      assert.ok(
        finished.indexOf("beta") < Math.min(finished.indexOf("alpha 1"), finished.indexOf("alpha 2")),
        `another business waited for the previews: ${finished.join(", ")}`,
      );
      // Within its budget or past it, a heavy preview answers for itself: 200 or 422.
      for (const response of [first!, second!])
        assert.ok([200, 422].includes(response.statusCode), response.body);
      assert.equal(third!.statusCode, 429, third!.body);
      assert.equal(third!.json().error.code, "too_many_previews");
      assert.equal(third!.headers["retry-after"], "1");
    });
  });
}
