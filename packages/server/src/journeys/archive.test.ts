import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import { sql } from "kysely";
import { ManualClock } from "../clock";
import { DefinitionCache } from "../engine/definitions";
import { settle } from "../engine/loop";
import { api, customerId, expect, identify, send, track } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney } from "../testing/email-journey";
import { ADMIN_TOKEN, bearer, useApp } from "../testing/use-app";

const START = Date.UTC(2026, 0, 5, 9);

interface TrailEntry {
  seq: number;
  type: string;
  nodeId: string | null;
  reason?: string;
  deliveryId?: string;
  channel?: string;
  message: string;
}

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] journeys: archive`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect, { clock: () => new ManualClock(START) });
    const call = (method: "GET" | "POST", path: string, body?: unknown) =>
      api(ctx, ctx.alpha, method, path, body);

    before(async () => {
      if (dialect.skip) return;
      // `tpl_hi` and the email channel come with this journey; it is not used here.
      await activeEmailJourney(
        ctx.resources,
        ctx.alpha.businessId,
        { type: "event", event: "Unused" },
        START,
      );
    });

    /** An active journey entered by `users`, each waiting with two messages still queued. */
    const queuedFor = async (event: string, users: string[]) => {
      const created = await call("POST", "/journeys", {
        name: event,
        trigger: { type: "event", event },
        start: "hi",
        nodes: {
          hi: { type: "message", channel: "email", templateId: "tpl_hi", next: "again" },
          again: { type: "message", channel: "email", templateId: "tpl_hi", next: "wait" },
          wait: { type: "delay", amount: 1, unit: "days", next: null },
        },
      }).then(expect(201));
      await call("POST", `/journeys/${created.id}/activate`).then(expect(200));
      for (const user of users) {
        await send(ctx, ctx.alpha, identify(user, { email: `${user}@alpha.test` }), track(user, event));
      }
      // The engine only, no dispatcher.
      await settle(ctx.resources, new DefinitionCache());
      return created.id as string;
    };
    const trailOf = async (journeyId: string, enrollmentId: string) =>
      (await call("GET", `/journeys/${journeyId}/enrollments/${enrollmentId}`).then(expect(200))) as {
        trail: TrailEntry[];
        deliveries: { status: string; detail: unknown }[];
      };

    it("records in the trail each queued message it cancels, as the dispatcher records a skip", async () => {
      const users = ["ann", "bob"];
      const created = { id: await queuedFor("Signed Up", users) };
      const queued = await ctx.store.db
        .selectFrom("deliveries")
        .select(["id", "enrollment_id", "node_id", "status"])
        .where("journey_id", "=", created.id)
        .execute();
      assert.deepEqual(
        queued.map((d) => d.status),
        ["queued", "queued", "queued", "queued"],
      );

      await call("POST", `/journeys/${created.id}/archive`).then(expect(200));
      // Engine and dispatcher: the exits are recorded, and nothing is sent or skipped twice.
      const settled = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/admin/settle",
        headers: bearer(ADMIN_TOKEN),
      });
      assert.equal(settled.statusCode, 200, settled.body);

      for (const user of users) {
        const id = await customerId(ctx, ctx.alpha, user);
        const [enrollment] = (
          await call("GET", `/journeys/${created.id}/enrollments?customerId=${id}`).then(expect(200))
        ).data;
        const detail = await trailOf(created.id, enrollment.id);
        const trail: TrailEntry[] = detail.trail;
        const mine = queued.filter((d) => d.enrollment_id === enrollment.id);
        const steps = trail.map((t) => `${t.type}@${t.nodeId}${t.reason ? `:${t.reason}` : ""}`);
        assert.deepEqual(
          [steps.slice(0, 4), steps.slice(4, 6).sort(), steps.slice(6)],
          [
            ["entered@hi", "queued@hi", "queued@again", "waiting@wait"],
            ["skipped@again:journey_archived", "skipped@hi:journey_archived"], // in either order
            ["exited@wait:archived"],
          ],
          `${user}'s trail says why each message did not go`,
        );
        for (const nodeId of ["hi", "again"]) {
          const skip = trail.find((t) => t.type === "skipped" && t.nodeId === nodeId)!;
          assert.deepEqual(
            { deliveryId: skip.deliveryId, channel: skip.channel, message: skip.message },
            {
              deliveryId: mine.find((d) => d.node_id === nodeId)!.id,
              channel: "email",
              message: `Skipped email message "${nodeId}": the journey was archived.`,
            },
          );
        }
        assert.deepEqual(
          detail.deliveries.map((d: { status: string; detail: unknown }) => [d.status, d.detail]),
          [
            ["skipped", { reason: "journey_archived", message: "the journey was archived" }],
            ["skipped", { reason: "journey_archived", message: "the journey was archived" }],
          ],
        );
      }
    });

    it("appends after the seq another writer took meanwhile (PostgreSQL)", async (t) => {
      if (dialect.name !== "postgres") return t.skip("SQLite has one writer");
      const journeyId = await queuedFor("Raced", ["cid"]);
      const enrollment = await ctx.store.db
        .selectFrom("enrollments")
        .select("id")
        .where("journey_id", "=", journeyId)
        .executeTakeFirstOrThrow();
      const before = (await trailOf(journeyId, enrollment.id)).trail;
      const next = Math.max(...before.map((e) => e.seq)) + 1;
      const other = await ctx.store.sibling!();
      let archived: Promise<LightMyRequestResponse> | undefined;
      let waited = false;
      try {
        // The engine or the dispatcher holds the enrollment's next seq, uncommitted, while the
        // archive runs; it commits once the archive waits on that seq.
        await other.db.transaction().execute(async (trx) => {
          await trx
            .insertInto("enrollment_trail")
            .values({
              business_id: ctx.alpha.businessId,
              enrollment_id: enrollment.id,
              seq: next,
              at: START,
              entry: JSON.stringify({ type: "note", nodeId: null, message: "written meanwhile" }),
            })
            .execute();
          archived = Promise.resolve(call("POST", `/journeys/${journeyId}/archive`));
          for (let i = 0; i < 500 && !waited; i++) {
            await new Promise((resolve) => setTimeout(resolve, 10));
            const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock'`.execute(other.db);
            waited = rows[0]!.n > 0;
          }
        });
      } finally {
        await other.close();
      }
      await archived!.then(expect(200));
      assert.ok(waited, "the archive waited on the other writer's seq");
      const after = (await trailOf(journeyId, enrollment.id)).trail.filter((e) => e.seq >= next);
      assert.deepEqual(
        after.map((e) => [e.seq, e.type]),
        [
          [next, "note"],
          [next + 1, "skipped"],
          [next + 2, "skipped"],
        ],
      );
      assert.deepEqual(after.map((e) => e.nodeId).sort(), ["again", "hi", null]);
    });
  });
}
