import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ManualClock } from "../clock";
import { api, expect, identify, send, track } from "../segments/testing";
import { DIALECTS } from "../testing/dialects";
import { activeEmailJourney } from "../testing/email-journey";
import { ADMIN_TOKEN, bearer, useApp } from "../testing/use-app";

const START = Date.UTC(2026, 0, 5, 9);

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] journeys: editing and the §5 document`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect, { clock: () => new ManualClock(START) });
    const call = (method: "GET" | "POST" | "PATCH", path: string, body?: unknown) =>
      api(ctx, ctx.alpha, method, path, body);
    const settle = async () => {
      const res = await ctx.app.inject({
        method: "POST",
        url: "/api/v1/admin/settle",
        headers: bearer(ADMIN_TOKEN),
      });
      assert.equal(res.statusCode, 200, res.body);
    };
    let journeyId = "";
    const oneEmail = { hi: { type: "message", channel: "email", templateId: "tpl_hi", next: null } };
    // A cycle, a missing template, an orphan step with a segment that does not exist.
    const broken = {
      hi: { type: "message", channel: "email", templateId: "tpl_missing", next: "wait" },
      wait: { type: "delay", amount: 1, unit: "days", next: "hi" },
      orphan: { type: "split", segmentId: "seg_missing", true: null, false: null },
    };
    const brokenProblems = [
      "cycle@hi",
      "orphan_node@orphan",
      "split_segment_missing@orphan",
      "template_missing@hi",
    ];
    const problemsOf = (body: { error: { details: { problems: { code: string; nodeId: string }[] } } }) =>
      body.error.details.problems.map((p) => `${p.code}@${p.nodeId}`).sort();

    before(async () => {
      if (dialect.skip) return;
      // Creates `tpl_hi` and the email channel, and activates "hi" on the event "Go".
      journeyId = await activeEmailJourney(
        ctx.resources,
        ctx.alpha.businessId,
        { type: "event", event: "Go" },
        START,
      );
    });

    it("refuses an invalid edit of an active journey as activation does, and keeps the old version", async () => {
      const refused = await call("PATCH", `/journeys/${journeyId}`, { name: "Renamed", nodes: broken });
      assert.equal(refused.statusCode, 422, refused.body);
      const body = refused.json();
      assert.equal(body.error.code, "journey_invalid");
      assert.deepEqual(problemsOf(body), brokenProblems);
      assert.deepEqual(Object.keys(body.error.details).sort(), ["problems", "warnings"]);

      const journey = await call("GET", `/journeys/${journeyId}`).then(expect(200));
      assert.equal(journey.name, "One email", "nothing of the edit was saved");
      assert.equal(journey.version, 1);
      assert.equal(journey.publishedVersion, 1);
      assert.deepEqual(journey.nodes, oneEmail);
      const versions = await call("GET", `/journeys/${journeyId}/versions`).then(expect(200));
      assert.deepEqual(
        versions.data.map((v: { version: number }) => v.version),
        [1],
      );

      await send(ctx, ctx.alpha, identify("go-1", { email: "go-1@alpha.test" }), track("go-1", "Go"));
      await settle();
      const entered = await call("GET", `/journeys/${journeyId}/enrollments`).then(expect(200));
      assert.deepEqual(
        entered.data.map((e: { version: number; state: string; exitReason: string }) => [
          e.version,
          e.state,
          e.exitReason,
        ]),
        [[1, "exited", "completed"]],
        "a new entrant still gets the published version",
      );
    });

    it("publishes a valid edit of an active journey as a new version", async () => {
      const edited = await call("PATCH", `/journeys/${journeyId}`, {
        nodes: {
          hi: { type: "message", channel: "email", templateId: "tpl_hi", next: "wait" },
          wait: { type: "delay", amount: 1, unit: "days", next: null },
        },
      }).then(expect(200));
      assert.equal(edited.status, "active");
      assert.equal(edited.version, 2);
      assert.equal(edited.publishedVersion, 2);
      const versions = await call("GET", `/journeys/${journeyId}/versions`).then(expect(200));
      assert.deepEqual(
        versions.data.map((v: { version: number }) => v.version),
        [2, 1],
      );
    });

    it("leaves drafts and paused journeys free to edit, and checks them on activation", async () => {
      const draft = await call("POST", "/journeys", {
        name: "Draft",
        trigger: { type: "event", event: "Go" },
        start: "hi",
        nodes: oneEmail,
      }).then(expect(201));
      const editedDraft = await call("PATCH", `/journeys/${draft.id}`, { nodes: broken }).then(expect(200));
      assert.deepEqual(editedDraft.nodes, broken);
      assert.equal(editedDraft.publishedVersion, null);

      await call("POST", `/journeys/${journeyId}/pause`).then(expect(200));
      const paused = await call("PATCH", `/journeys/${journeyId}`, { nodes: broken }).then(expect(200));
      assert.equal(paused.version, 3);
      assert.equal(paused.publishedVersion, 2, "a paused journey's edit is not published");
      const refused = await call("POST", `/journeys/${journeyId}/activate`);
      assert.equal(refused.statusCode, 422, refused.body);
      assert.deepEqual(problemsOf(refused.json()), brokenProblems);
    });

    // DESIGN §5's example, with the ids this business has.
    const designDocument = (segmentId: string) => ({
      id: "jrn_from_the_design",
      name: "Welcome series",
      status: "draft",
      version: 1,
      trigger: { type: "segment", segmentId },
      start: "welcome",
      nodes: {
        welcome: { type: "message", channel: "email", templateId: "tpl_hi", next: "wait" },
        wait: { type: "delay", amount: 1, unit: "days", next: "check" },
        check: { type: "split", segmentId, true: "nudge", false: null },
        nudge: { type: "message", channel: "sms", templateId: "tpl_hi", next: null },
      },
    });

    it("takes the §5 document and a journey read back by GET, ignoring the fields the server owns", async () => {
      const segment = await call("POST", "/segments", { name: "Everyone", rule: null }).then(expect(201));
      const document = designDocument(segment.id);
      const created = await call("POST", "/journeys", document).then(expect(201));
      assert.notEqual(created.id, document.id, "the server names the journey");
      assert.match(created.id, /^jrn_/);
      assert.equal(created.status, "draft");
      assert.equal(created.version, 1);
      assert.deepEqual(created.nodes, document.nodes);

      const read = await call("GET", `/journeys/${created.id}`).then(expect(200));
      const patched = await call("PATCH", `/journeys/${created.id}`, read).then(expect(200));
      assert.deepEqual({ ...patched, updatedAt: 0 }, { ...read, updatedAt: 0 }, "an unchanged document");
      const renamed = await call("PATCH", `/journeys/${created.id}`, { ...read, name: "Welcome" });
      assert.equal(renamed.json().name, "Welcome");
    });

    it("changes status only through activate, pause and archive; refuses unknown fields", async () => {
      const rule = { attribute: "plan", op: "eq", value: "pro" };
      const segment = await call("POST", "/segments", { name: "Pro", rule }).then(expect(201));
      await send(ctx, ctx.alpha, identify("member", { plan: "pro", email: "member@alpha.test" }));
      const document = { ...designDocument(segment.id), nodes: oneEmail, start: "hi" };

      const created = await call("POST", "/journeys", { ...document, status: "active", version: 7 }).then(
        expect(201),
      );
      assert.equal(created.status, "draft");
      assert.equal(created.version, 1);
      const patched = await call("PATCH", `/journeys/${created.id}`, {
        ...created,
        status: "active",
        publishedVersion: 1,
        run: 3,
      }).then(expect(200));
      assert.equal(patched.status, "draft");
      assert.equal(patched.publishedVersion, null);
      assert.equal(patched.run, 0);
      await settle();
      const enrollments = await call("GET", `/journeys/${created.id}/enrollments`).then(expect(200));
      assert.deepEqual(enrollments.data, [], "nobody entered a journey that was never activated");

      for (const extra of [{ steps: {} }, { status: "running" }]) {
        const refused = await call("PATCH", `/journeys/${created.id}`, { ...created, ...extra });
        assert.equal(refused.statusCode, 400, JSON.stringify(extra));
        const created2 = await call("POST", "/journeys", { ...document, ...extra });
        assert.equal(created2.statusCode, 400, JSON.stringify(extra));
      }
    });

    it("activates a journey the lint warns about, and says why in the answer", async () => {
      const created = await call("POST", "/journeys", {
        name: "Slow burn",
        trigger: { type: "event", event: "Slow" },
        start: "wait",
        nodes: {
          wait: { type: "delay", amount: 400, unit: "days", next: "hi" },
          hi: { type: "message", channel: "email", templateId: "tpl_hi", next: null },
        },
      }).then(expect(201));
      const activated = await call("POST", `/journeys/${created.id}/activate`).then(expect(200));
      assert.equal(activated.status, "active");
      assert.deepEqual(
        activated.warnings.map((w: { code: string; nodeId: string }) => `${w.code}@${w.nodeId}`),
        ["delay_over_a_year@wait"],
      );
    });
  });
}
