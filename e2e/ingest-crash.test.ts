import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type Business,
  client,
  createBusiness,
  createPgDatabase,
  PG_SKIP,
  queryStore,
  TEST_SECRET_KEY,
} from "./harness";
import { freePort, killServer, type Server, startServer } from "./process";

/**
 * Durability of ingestion under `kill -9`: four clients send Segment batches as SDKs do — a
 * batch that got no answer is sent again, with the same messageIds — while the server is
 * SIGKILLed at random moments and restarted on the same store. In the end every message is
 * stored exactly once (nothing acknowledged was lost, no retry stored twice, a batch sent again
 * after its answer is all duplicates), and the segment
 * state written on the same path agrees with the messages: members, the membership log, and
 * a preview that counts from the stored events themselves.
 *
 * Each customer is identified once, so the expected segments do not depend on the order in
 * which retried batches land.
 */
const CUSTOMERS = 1_000;
const TRACKS_PER_CUSTOMER = 8;
const BATCH = 50;
const SENDERS = 4;
const KILLS = 4;

const STORES = [
  { name: "sqlite", skip: false as string | false },
  { name: "postgres", skip: PG_SKIP },
];

interface Message {
  type: string;
  userId: string;
  messageId: string;
  [field: string]: unknown;
}

/** The messages, shuffled into batches, and what the segments must hold once all are stored. */
function workload() {
  const messages: Message[] = [];
  const pro = new Set<string>();
  const buyers = new Set<string>();
  for (let c = 0; c < CUSTOMERS; c++) {
    const userId = `u${c}`;
    const plan = c % 3 === 0 ? "pro" : "free";
    if (plan === "pro") pro.add(userId);
    messages.push({ type: "identify", userId, messageId: `id-${userId}`, traits: { plan } });
    for (let t = 0; t < TRACKS_PER_CUSTOMER; t++) {
      const event = (c + t) % 7 === 0 ? "Order Completed" : "Product Viewed";
      if (event === "Order Completed") buyers.add(userId);
      messages.push({
        type: "track",
        userId,
        messageId: `tr-${userId}-${t}`,
        event,
        properties: { total: 10 + t },
      });
    }
  }
  // Interleave customers across batches (a seeded shuffle keeps failures reproducible).
  let seed = 7;
  for (let i = messages.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 48_271) + 1) >>> 0;
    const j = seed % (i + 1);
    [messages[i], messages[j]] = [messages[j]!, messages[i]!];
  }
  const batches: Message[][] = [];
  for (let i = 0; i < messages.length; i += BATCH) batches.push(messages.slice(i, i + BATCH));
  return { messages, batches, pro, buyers };
}

for (const store of STORES) {
  describe(`[${store.name}] e2e: ingestion killed with SIGKILL while clients send`, {
    skip: store.skip,
  }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "journeys-ingest-crash-"));
    let env: NodeJS.ProcessEnv = {};
    let business: Business;
    let databaseUrl = "";
    let dropDatabase = async () => {};
    let port = 0;
    let server: Server | undefined;

    const start = async () => {
      server = await startServer(["start", "--no-demo"], env, port);
    };
    const kill = async () => {
      if (server) await killServer(server);
      server = undefined;
    };

    before(async () => {
      if (store.name === "postgres") {
        const database = await createPgDatabase();
        databaseUrl = database.url;
        dropDatabase = database.drop;
      }
      env = {
        JOURNEYS_DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        JOURNEYS_SECRET_KEY: TEST_SECRET_KEY,
        LOG_LEVEL: "fatal",
      };
      business = await createBusiness(env);
      port = await freePort();
      await start();
    });

    after(async () => {
      await kill();
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("stores every message once, and segments that agree with them", { timeout: 120_000 }, async (t) => {
      const http = client(`http://127.0.0.1:${port}`, business);
      const buyersRule = { event: "Order Completed", op: "atLeast", count: 1 };
      const proRule = { attribute: "plan", op: "eq", value: "pro" };
      const buyers = await http.api("POST", "/segments", { name: "Buyers", rule: buyersRule });
      const pro = await http.api("POST", "/segments", { name: "Pro", rule: proRule });

      const load = workload();
      const auth = `Basic ${Buffer.from(`${business.writeKey}:`).toString("base64")}`;
      let next = 0;
      const retried = { unanswered: 0, answeredWithDuplicates: 0 };
      /** Sends until the server answers 200, as an SDK retries a batch it got no answer for. */
      const send = async (batch: Message[]) => {
        for (let attempt = 0; ; attempt++) {
          try {
            const response = await fetch(`http://127.0.0.1:${port}/v1/batch`, {
              method: "POST",
              headers: { authorization: auth, "content-type": "application/json" },
              body: JSON.stringify({ batch }),
            });
            const body = (await response.json()) as {
              accepted: number;
              duplicates: number;
              rejected: unknown[];
            };
            if (response.status === 200) {
              assert.deepEqual(body.rejected, []);
              assert.equal(body.accepted + body.duplicates, batch.length);
              if (body.duplicates > 0) retried.answeredWithDuplicates++;
              return;
            }
            assert.ok(response.status >= 500, `batch refused: ${response.status} ${JSON.stringify(body)}`);
          } catch (error) {
            if (error instanceof assert.AssertionError) throw error;
            // The server died under the call: no answer, so the batch is sent again.
          }
          if (attempt === 0) retried.unanswered++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const senders = Array.from({ length: SENDERS }, async () => {
        while (next < load.batches.length) await send(load.batches[next++]!);
      });
      const killer = (async () => {
        for (let k = 0; k < KILLS && next < load.batches.length; k++) {
          await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 350));
          await kill();
          await start();
        }
      })();
      await Promise.all(senders);
      await killer;
      // Once more after the last batch, so the final state is read after a recovery too.
      await kill();
      await start();

      // A client whose answer was lost on the way sends again: every message is a duplicate.
      for (const batch of load.batches.slice(0, 3)) {
        const again = await http.ingest("batch", { batch });
        assert.deepEqual([again.accepted, again.duplicates], [0, batch.length]);
      }

      // Nothing lost, nothing twice.
      const ids = load.messages.map((m) => m.messageId);
      const where =
        store.name === "sqlite"
          ? { dialect: "sqlite" as const, dataDir }
          : { dialect: "postgres" as const, url: databaseUrl };
      const stored = (
        await queryStore<{ message_id: string }>(
          where,
          "select message_id from events where business_id = $1",
          [business.businessId],
        )
      ).map((row) => row.message_id);
      assert.ok(retried.unanswered > 0, "at least one kill landed while a batch was in flight");
      assert.equal(stored.length, ids.length, "one stored event per message");
      assert.deepEqual(new Set(stored), new Set(ids));

      // The segments written on the same path agree with the messages.
      const size = async (id: string) => (await http.api("GET", `/segments/${id}`)).size as number;
      assert.equal(await size(buyers.id), load.buyers.size, "Buyers");
      assert.equal(await size(pro.id), load.pro.size, "Pro");
      // A counter no saved segment keeps is counted from the stored events themselves.
      const fromEvents = await http.api("POST", "/segments/preview", {
        rule: { ...buyersRule, where: [{ property: "total", op: "gte", value: 0 }] },
      });
      assert.equal(fromEvents.count, load.buyers.size, "preview from the stored events");
      const log = new Map(
        (
          await queryStore<{ segment_id: string; n: number | string }>(
            where,
            "select segment_id, sum(case when change = 'joined' then 1 else -1 end) as n from membership_events where business_id = $1 group by segment_id",
            [business.businessId],
          )
        ).map((row) => [row.segment_id, Number(row.n)]),
      );
      assert.equal(log.get(buyers.id), load.buyers.size, "joined minus left, Buyers");
      assert.equal(log.get(pro.id), load.pro.size, "joined minus left, Pro");

      t.diagnostic(
        `${store.name}: ${ids.length} messages in ${load.batches.length} batches, ${KILLS + 1} SIGKILLs; ` +
          `${retried.unanswered} batches sent again for want of an answer, ${retried.answeredWithDuplicates} of ` +
          "them had been stored before the kill (answered as duplicates); every message stored once",
      );
    });
  });
}
