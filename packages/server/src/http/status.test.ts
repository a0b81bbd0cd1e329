import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { bearer, useApp } from "../testing/use-app";

/** Answers a client can act on: the right status and code for what it got wrong. */
for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] management API statuses`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    const base = () => `/api/v1/businesses/${ctx.alpha.businessId}`;
    const call = (method: "GET" | "POST", path: string, extra: object = {}) =>
      ctx.app.inject({ method, url: `${base()}${path}`, headers: bearer(ctx.alpha.apiKey), ...extra });

    it("asks who the caller is before it reads what they sent", async () => {
      const anonymous = await ctx.app.inject({
        method: "POST",
        url: `${base()}/segments`,
        payload: { name: 42, unknown: true },
      });
      assert.equal(anonymous.statusCode, 401, anonymous.body);
      const foreign = await ctx.app.inject({
        method: "GET",
        url: `${base()}/customers?limit=999`,
        headers: bearer(ctx.beta.apiKey),
      });
      assert.equal(foreign.statusCode, 404, foreign.body);
    });

    it("answers 415 to a body that is not JSON, and to an import that is not CSV", async () => {
      const text = await call("POST", "/segments", {
        headers: { ...bearer(ctx.alpha.apiKey), "content-type": "text/plain" },
        payload: '{"name":"x","rule":null}',
      });
      assert.equal(text.statusCode, 415, text.body);
      assert.equal(text.json().error.code, "unsupported_media_type");
      const notCsv = await call("POST", "/customers/imports", {
        headers: { ...bearer(ctx.alpha.apiKey), "content-type": "application/json" },
        payload: "{}",
      });
      assert.equal(notCsv.statusCode, 415, notCsv.body);
      assert.equal(notCsv.json().error.code, "unsupported_media_type");
    });

    it("answers 404 for a segment or journey the business does not have", async () => {
      const segment = await call("GET", "/customers?segmentId=seg_nobody");
      assert.equal(segment.statusCode, 404, segment.body);
      assert.match(segment.json().error.message, /segment/);
      const journey = await call("GET", "/journeys/jrn_nobody/enrollments");
      assert.equal(journey.statusCode, 404, journey.body);
      assert.match(journey.json().error.message, /journey/);
    });

    it("refuses a cursor it did not hand out and an empty timeline page", async () => {
      const created = await call("POST", "/journeys", {
        payload: {
          name: "Cursor",
          trigger: { type: "event", event: "Go" },
          start: "wait",
          nodes: { wait: { type: "delay", amount: 1, unit: "days", next: null } },
        },
      });
      assert.equal(created.statusCode, 201, created.body);
      const garbage = await call("GET", `/journeys/${created.json().id}/enrollments?cursor=garbage`);
      assert.equal(garbage.statusCode, 400, garbage.body);
      assert.equal(garbage.json().error.code, "invalid_cursor");
      const customer = await call("POST", "/customers", { payload: { userId: "timeline" } });
      const empty = await call("GET", `/customers/${customer.json().id}?timelineLimit=0`);
      assert.equal(empty.statusCode, 400, empty.body);
    });
  });
}
