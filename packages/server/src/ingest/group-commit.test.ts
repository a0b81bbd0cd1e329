import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIALECTS } from "../testing/dialects";
import { useApp } from "../testing/use-app";
import { ingestQueue } from "./group-commit";
import { type IngestMessage, parseMessage } from "./messages";

const tracks = (prefix: string, count: number, now: number): IngestMessage[] =>
  Array.from({ length: count }, (_, i) => {
    const parsed = parseMessage(
      { type: "track", userId: `${prefix}-${i % 20}`, event: "Viewed", messageId: `${prefix}-${i}` },
      now,
      {},
    );
    if (!parsed.ok) throw new Error(parsed.problem.message);
    return parsed.message;
  });

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] ingestion group commit`, { skip: dialect.skip }, () => {
    const ctx = useApp(dialect);
    // An earlier test's queue may still be finishing its last turn.
    const idle = () => ingestQueue(ctx.resources).idle();

    /** Submits calls to the store's queue, recording the order in which they become durable. */
    const recorder = () => {
      const queue = ingestQueue(ctx.resources);
      const businessId = ctx.alpha.businessId;
      const order: string[] = [];
      const submit = (name: string, messages: IngestMessage[]) =>
        queue.submit({ businessId, messages, now: Date.now() }).then((outcomes) => {
          order.push(name);
          return outcomes;
        });
      return { businessId, order, submit };
    };

    it("commits a small call that arrives behind a big batch first, and both durably", async () => {
      await idle();
      const { businessId, order, submit } = recorder();
      const now = Date.now();
      // The first call starts a transaction; the next two queue behind it.
      const running = submit("running", tracks("running", 200, now));
      const big = submit("big", tracks("big", 300, now));
      const small = submit("small", tracks("small", 1, now));
      const results = await Promise.all([running, big, small]);
      assert.deepEqual(order, ["running", "small", "big"]);
      assert.deepEqual(
        results.map((outcomes) => outcomes.filter((o) => o.status === "accepted").length),
        [200, 300, 1],
      );
      const stored = await ctx.store.db
        .selectFrom("events")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("business_id", "=", businessId)
        .executeTakeFirstOrThrow();
      assert.equal(Number(stored.n), 501);
    });

    it("does not let a stream of small calls starve a batch", async () => {
      await idle();
      const { order, submit } = recorder();
      const now = Date.now();
      const running = submit("running", tracks("s-running", 200, now));
      const big = submit("big", tracks("s-big", 300, now));
      // Each small call is followed by another as soon as it is durable.
      let next = 0;
      const stream = async (): Promise<void> => {
        const n = next++;
        await submit(`small-${n}`, tracks(`s-small-${n}`, 1, now));
        if (n < 3) await stream();
      };
      await Promise.all([running, big, stream()]);
      assert.deepEqual(order.slice(0, 3), ["running", "small-0", "big"]);
      assert.equal(order.length, 6);
    });
  });
}
