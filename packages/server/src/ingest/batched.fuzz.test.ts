import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Condition } from "@journeys/core";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { SecretBox } from "../channels/secret-box";
import { newId } from "../ids";
import type { Resources } from "../resources";
import { SegmentCatalogs } from "../segments/catalog";
import { RenderThreads } from "../templates/render-threads";
import { DIALECTS } from "../testing/dialects";
import { LOCAL_OUTBOUND } from "../testing/outbound";
import { type Prng, prng } from "../testing/random";
import { insertSegments } from "../testing/segments";
import { type IngestResult, ingest } from "./ingest";

/**
 * PostgreSQL ingests a call's messages through the batched writer (reads ahead, holds its
 * appends until the commit; customers/batched-writer.ts). Whatever the grouping, the outcome
 * must be what SQLite's per-message writer makes of the same messages one call at a time:
 * the same answer per message, the same customers (merges, userIds taken, emails moved), the
 * same events, hits and memberships. Each seed replays one random stream over a few users,
 * anonymous ids and emails, so identities collide, merge and move inside one transaction.
 */
const SEEDS = Number(process.env.FUZZ_SEEDS ?? 6);
const AT = Date.UTC(2025, 3, 1, 12);

const SEGMENT_RULES: { name: string; rule: Condition }[] = [
  { name: "Pro", rule: { attribute: "plan", op: "eq", value: "pro" } },
  { name: "Viewed twice", rule: { event: "Viewed", op: "atLeast", count: 2 } },
  {
    name: "Pro buyer",
    rule: {
      all: [
        { attribute: "plan", op: "eq", value: "pro" },
        { event: "Bought", op: "atLeast", count: 1, where: [{ property: "amount", op: "gt", value: 50 }] },
      ],
    },
  },
  { name: "Has email", rule: { attribute: "email", op: "exists" } },
];

function randomMessage(rand: Prng, n: number): Record<string, unknown> {
  const userId = rand.chance(0.7) ? rand.pick(["u1", "u2", "u3", "u4"]) : undefined;
  const anonymousId = !userId || rand.chance(0.3) ? rand.pick(["a1", "a2", "a3"]) : undefined;
  const messageId = rand.chance(0.1) && n > 0 ? `m${rand.int(n)}` : `m${n}`; // some are sent again
  const who = { ...(userId ? { userId } : {}), ...(anonymousId ? { anonymousId } : {}) };
  switch (rand.int(6)) {
    case 0:
    case 1:
      return {
        type: "identify",
        messageId,
        ...who,
        traits: {
          ...(rand.chance(0.5) ? { email: rand.pick(["e1@x.io", "e2@x.io", "E3@x.io"]) } : {}),
          ...(rand.chance(0.6) ? { plan: rand.pick(["pro", "free"]) } : {}),
        },
      };
    case 2:
      return userId
        ? { type: "alias", messageId, userId, previousId: rand.pick(["a1", "a2", "a3", "u1", "u2"]) }
        : { type: "track", messageId, ...who, event: "Viewed" };
    default:
      return {
        type: "track",
        messageId,
        ...who,
        event: rand.pick(["Viewed", "Viewed", "Bought"]),
        properties: { amount: rand.int(100) },
      };
  }
}

/** What a business holds, keyed by identities rather than generated ids. */
async function snapshot(r: Resources, businessId: string) {
  const db = r.store.db;
  const customers = await db
    .selectFrom("customers")
    .selectAll()
    .where("business_id", "=", businessId)
    .execute();
  const aliases = await db
    .selectFrom("customer_aliases")
    .select(["anonymous_id", "customer_id"])
    .where("business_id", "=", businessId)
    .execute();
  const keyOf = new Map(
    customers.map((c) => {
      const anon = aliases
        .filter((a) => a.customer_id === c.id)
        .map((a) => a.anonymous_id)
        .sort();
      return [c.id, `${c.user_id ?? "-"}|${anon.join(",")}`];
    }),
  );
  const key = (id: string) => keyOf.get(id) ?? `gone:${id}`;
  const rows = async (table: "events" | "event_hits" | "segment_members") =>
    (await db.selectFrom(table).selectAll().where("business_id", "=", businessId).execute()) as Record<
      string,
      unknown
    >[];
  const segments = new Map(
    (
      await db.selectFrom("segments").select(["id", "name"]).where("business_id", "=", businessId).execute()
    ).map((s) => [s.id, s.name]),
  );
  const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
  return {
    customers: customers.map((c) => JSON.stringify([key(c.id), c.email, json(c.attributes)])).sort(),
    events: (await rows("events")).map((e) => `${key(String(e.customer_id))} ${e.message_id}`).sort(),
    hits: (await rows("event_hits")).map((h) => `${key(String(h.customer_id))} ${h.counter}`).sort(),
    members: (await rows("segment_members"))
      .map((m) => `${segments.get(String(m.segment_id))} ${key(String(m.customer_id))}`)
      .sort(),
  };
}

const outcomes = (result: IngestResult, count: number) => {
  const byIndex: string[] = Array(count).fill("accepted");
  for (const r of result.rejected) byIndex[r.index] = `rejected ${r.code}`;
  return { byIndex, duplicates: result.duplicates };
};

const [sqlite, postgres] = [
  DIALECTS.find((d) => d.name === "sqlite")!,
  DIALECTS.find((d) => d.name === "postgres")!,
];

describe("[postgres] the batched writer equals SQLite's per-message writer (seeded fuzz)", {
  skip: postgres.skip,
}, () => {
  for (let s = 0; s < SEEDS; s++) {
    const seed = 500 + s * 104_729;
    it(`seed ${seed}`, async () => {
      const rand = prng(seed);
      const stream = Array.from({ length: 80 }, (_, n) => randomMessage(rand, n));
      const runOn = async (dialect: typeof sqlite, callSizes: () => number) => {
        const store = await dialect.open();
        try {
          const r: Resources = {
            store,
            clock: { kind: "manual", now: () => AT },
            newId,
            catalogs: new SegmentCatalogs(),
            outbound: LOCAL_OUTBOUND,
            renderer: new RenderThreads(),
            secrets: SecretBox.ephemeral(),
          };
          const { businessId } = await createBusinessWithOwner(r, {
            name: "Fuzz",
            plan: "enterprise",
            ownerEmail: "fuzz@example.com",
          });
          await insertSegments(store, businessId, SEGMENT_RULES);
          const answers: string[] = [];
          let duplicates = 0;
          for (let i = 0; i < stream.length; ) {
            const call = stream.slice(i, i + callSizes());
            const result = outcomes(await ingest(r, businessId, call), call.length);
            answers.push(...result.byIndex);
            duplicates += result.duplicates;
            i += call.length;
          }
          return { answers, duplicates, ...(await snapshot(r, businessId)) };
        } finally {
          await store.drop();
        }
      };
      const reference = await runOn(sqlite, () => 1);
      const batched = await runOn(postgres, () => 1 + rand.int(12));
      console.log(
        seed,
        JSON.stringify({
          rejected: reference.answers.filter((a) => a !== "accepted"),
          duplicates: reference.duplicates,
          customers: reference.customers.length,
          members: reference.members.length,
        }),
      );
      assert.deepEqual(
        batched,
        reference,
        `seed ${seed}: PostgreSQL in batches differs from SQLite one by one`,
      );
    });
  }
});
