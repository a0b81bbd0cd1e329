import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { DAY_MS } from "@journeys/core";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { sweepSegments } from "./sweep";
import { api, expect, identify, membershipLog, memberUserIds, send, track } from "./testing";

const START = Date.UTC(2030, 0, 10, 12);

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] segment sweep`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    let t = START;
    before(() => {
      if (ctx.resources) ctx.resources.clock = { kind: "manual", now: () => t };
    });

    it("drops a customer out of a withinDays segment (and its dependents) once time passes", async () => {
      await send(ctx, ctx.alpha, identify("s1", { plan: "pro" }), track("s1", "Sweep Visited"));
      await send(ctx, ctx.alpha, identify("s2", { plan: "pro" }));
      const recent = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Visited today",
        rule: { event: "Sweep Visited", op: "atLeast", count: 1, withinDays: 1 },
      }).then(expect(201));
      const recentPro = await api(ctx, ctx.alpha, "POST", "/segments", {
        name: "Recent pro",
        rule: { all: [{ inSegment: recent.id }, { attribute: "plan", op: "eq", value: "pro" }] },
      }).then(expect(201));
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, recentPro.id), ["s1"]);

      t += 12 * 60 * 60 * 1000;
      const early = await sweepSegments(ctx.resources);
      assert.equal(early.left, 0);
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, recent.id), ["s1"]);

      t = START + DAY_MS + 60_000;
      const report = await sweepSegments(ctx.resources);
      assert.equal(report.left, 2);
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, recent.id), []);
      assert.deepEqual(await memberUserIds(ctx, ctx.alpha, recentPro.id), []);
      assert.deepEqual(await membershipLog(ctx, ctx.alpha, recentPro.id), [
        ["s1", "joined", START],
        ["s1", "left", t],
      ]);

      const history = await api(ctx, ctx.alpha, "GET", `/segments/${recent.id}/size-history?days=7`).then(
        expect(200),
      );
      assert.deepEqual(history.data, [
        { date: "2030-01-10", size: 1 },
        { date: "2030-01-11", size: 0 },
      ]);
    });

    it("records every segment's size once per UTC day, time-relative or not", async () => {
      const list = await api(ctx, ctx.beta, "POST", "/segments", { name: "Beta list", rule: null }).then(
        expect(201),
      );
      t += DAY_MS;
      const first = await sweepSegments(ctx.resources);
      assert.ok(first.sizes >= 1);
      const again = await sweepSegments(ctx.resources);
      assert.equal(again.sizes, 0, "already recorded today, and nothing changed since");
      const history = await api(ctx, ctx.beta, "GET", `/segments/${list.id}/size-history`).then(expect(200));
      assert.equal(history.data.length, 2);
    });

    it("shows today's size as the members now, and each past day as the sweep last recorded it", async () => {
      const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      const growing = { attribute: "cohort", op: "eq", value: "growing" };
      const seg = await api(ctx, ctx.alpha, "POST", "/segments", { name: "Growing", rule: growing }).then(
        expect(201),
      );
      assert.equal(seg.size, 0);
      const history = async () =>
        (await api(ctx, ctx.alpha, "GET", `/segments/${seg.id}/size-history`).then(expect(200))).data;
      const size = async () =>
        (await api(ctx, ctx.alpha, "GET", `/segments/${seg.id}`).then(expect(200))).size;

      // Joins on the write path, after the segment (and its first size) was saved.
      await send(
        ctx,
        ctx.alpha,
        identify("g1", { cohort: "growing" }),
        identify("g2", { cohort: "growing" }),
      );
      assert.equal(await size(), 2);
      assert.deepEqual(await history(), [{ date: date(t), size: 2 }]);
      const first = t;
      await sweepSegments(ctx.resources);

      t += DAY_MS;
      await send(ctx, ctx.alpha, identify("g3", { cohort: "growing" }));
      assert.equal(await size(), 3);
      assert.deepEqual(await history(), [
        { date: date(first), size: 2 },
        { date: date(t), size: 3 },
      ]);
    });
  });
}
