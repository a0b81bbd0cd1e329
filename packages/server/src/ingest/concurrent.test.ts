import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { SecretBox } from "../channels/secret-box";
import { systemClock } from "../clock";
import { importCustomers } from "../customers/import";
import { newId } from "../ids";
import type { Resources } from "../resources";
import { SegmentCatalogs } from "../segments/catalog";
import { RenderThreads } from "../templates/render-threads";
import { fillCustomers } from "../testing/customers";
import { DIALECTS } from "../testing/dialects";
import { LOCAL_OUTBOUND } from "../testing/outbound";
import { insertSegments } from "../testing/segments";
import { useStore } from "../testing/use-store";
import { ingest } from "./ingest";

const CUSTOMERS = 100;

for (const dialect of DIALECTS.filter((d) => d.name === "postgres")) {
  describe(`[${dialect.name}] ingestion and imports from two processes at once`, {
    skip: dialect.skip,
  }, () => {
    const ctx = useStore(dialect);
    /** Runs `test` with this process's resources and a second process's, on one database. */
    const twoProcesses = async (test: (here: Resources, there: Resources) => Promise<void>) => {
      const sibling = await ctx.store.sibling!();
      try {
        await test(ctx.resources, {
          store: sibling,
          clock: systemClock,
          newId,
          catalogs: new SegmentCatalogs(),
          outbound: LOCAL_OUTBOUND,
          renderer: new RenderThreads(),
          secrets: SecretBox.ephemeral(),
        });
      } finally {
        await sibling.close();
      }
    };

    let businesses = 0;
    const newBusiness = async (r: Resources, name: string, plan: "enterprise" | "starter" = "enterprise") =>
      (await createBusinessWithOwner(r, { name, plan, ownerEmail: `owner${++businesses}@example.com` }))
        .businessId;
    const rowsOf = async (table: "customers" | "events" | "event_hits", businessId: string) =>
      Number(
        (
          await ctx.store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("business_id", "=", businessId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const membersOf = async (businessId: string, segmentId: string | undefined) =>
      (
        await ctx.store.db
          .selectFrom("segment_members")
          .select("customer_id")
          .where("business_id", "=", businessId)
          .where("segment_id", "=", segmentId ?? "")
          .execute()
      ).length;

    it("sees the other process's event of the same customer: at least twice, twice, joins", () =>
      twoProcesses(async (here, there) => {
        const businessId = await newBusiness(here, "Two processes");
        const [segmentId] = await insertSegments(ctx.store, businessId, [
          { name: "Viewed twice", rule: { event: "Viewed", op: "atLeast", count: 2 } },
        ]);
        const users = Array.from({ length: CUSTOMERS }, (_, i) => `u${i}`);
        for (const userId of users) {
          await ingest(here, businessId, [
            { type: "identify", userId, messageId: `id-${userId}`, traits: {} },
          ]);
        }
        // Each customer's two views arrive at once, one in each process.
        await Promise.all(
          users.map((userId) =>
            Promise.all([
              ingest(here, businessId, [
                { type: "track", userId, event: "Viewed", messageId: `a-${userId}` },
              ]),
              ingest(there, businessId, [
                { type: "track", userId, event: "Viewed", messageId: `b-${userId}` },
              ]),
            ]),
          ),
        );
        assert.equal(
          await membersOf(businessId, segmentId),
          CUSTOMERS,
          "every customer viewed twice is a member",
        );
      }));

    it("stores a batch sent to both processes at once once, and counts each event once", () =>
      twoProcesses(async (here, there) => {
        const businessId = await newBusiness(here, "Same batch twice");
        const [segmentId] = await insertSegments(ctx.store, businessId, [
          { name: "Viewed exactly once", rule: { event: "Viewed", op: "exactly", count: 1 } },
        ]);
        const users = Array.from({ length: CUSTOMERS }, (_, i) => `u${i}`);
        await ingest(
          here,
          businessId,
          users.map((userId) => ({ type: "identify", userId, messageId: `id-${userId}`, traits: {} })),
        );
        // An SDK that timed out on one API process sends the same batch to another.
        const batch = users.map((userId) => ({
          type: "track",
          userId,
          event: "Viewed",
          messageId: `v-${userId}`,
        }));
        const [a, b] = await Promise.all([ingest(here, businessId, batch), ingest(there, businessId, batch)]);
        assert.equal(a.accepted + b.accepted, CUSTOMERS, "each message accepted once");
        assert.equal(a.duplicates + b.duplicates, CUSTOMERS, "and reported as a duplicate once");
        assert.equal(await rowsOf("events", businessId), 2 * CUSTOMERS, "the identifies and one view each");
        assert.equal(await rowsOf("event_hits", businessId), CUSTOMERS, "one hit per view");
        assert.equal(await membersOf(businessId, segmentId), CUSTOMERS, "every customer viewed exactly once");
      }));

    it("creates a new customer both processes hear of at once only once, and fails no call", () =>
      twoProcesses(async (here, there) => {
        const businessId = await newBusiness(here, "Newcomers in both");
        const users = Array.from({ length: 500 }, (_, i) => `new${i}`);
        const calls = (process: string) =>
          users.map((userId) => ({
            type: "track",
            userId,
            event: "Viewed",
            messageId: `${process}-${userId}`,
          }));
        const [a, b] = await Promise.all([
          ingest(here, businessId, calls("a")),
          ingest(there, businessId, calls("b")),
        ]);
        assert.equal(a.accepted + b.accepted, 2 * users.length);
        assert.equal(await rowsOf("customers", businessId), users.length, "one customer per userId");
      }));

    it("imports one email-only file in both processes at once: each email once, no batch fails", () =>
      twoProcesses(async (here, there) => {
        const businessId = await newBusiness(here, "Imports in both");
        const csv = ["email,plan", ...Array.from({ length: 1_200 }, (_, i) => `e${i}@example.com,pro`)].join(
          "\n",
        );
        const run = (r: Resources) =>
          importCustomers(r, businessId, Readable.from([csv]), { mapping: {}, onDuplicate: "update" });
        const [a, b] = await Promise.all([run(here), run(there)]);
        assert.deepEqual(
          [a.status, b.status],
          ["completed", "completed"],
          `${a.error ?? ""} ${b.error ?? ""}`,
        );
        assert.equal(a.created + b.created, 1_200, "each email created once");
        assert.equal(await rowsOf("customers", businessId), 1_200);
      }));

    it("lets the two processes together create no more customers than the plan allows", () =>
      twoProcesses(async (here, there) => {
        const businessId = await newBusiness(here, "Starter", "starter");
        await fillCustomers(ctx.store, businessId, 990);
        const newcomers = (prefix: string) =>
          Array.from({ length: 10 }, (_, i) => ({
            type: "identify",
            userId: `${prefix}${i}`,
            messageId: `${prefix}${i}`,
            traits: {},
          }));
        const [a, b] = await Promise.all([
          ingest(here, businessId, newcomers("a")),
          ingest(there, businessId, newcomers("b")),
        ]);
        assert.equal(a.accepted + b.accepted, 10, "the 10 slots left, and no more");
        const refused = [...a.rejected, ...b.rejected];
        assert.equal(refused.length, 10);
        assert.ok(refused.every((x) => x.code === "plan_limit_reached"));
        assert.equal(await rowsOf("customers", businessId), 1_000);
      }));
  });
}
