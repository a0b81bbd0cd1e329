import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Business, client, createBusiness, createPgDatabase, HOUR, PG_SKIP, testEnv } from "./harness";
import { freePort, killServer, type Server, startServer } from "./process";
import { type Receipt, type SmtpSink, startSmtpSink } from "./smtp-sink";

/**
 * Durability under `kill -9`: N customers enter a journey message → delay 1 h → message, and the
 * process that sends is SIGKILLed at random moments while it drains, then restarted. At the end
 * the SMTP server must have every (customer, step) email under exactly one Message-ID.
 *
 * Who is killed, and why it is `journeys start` rather than `journeys worker`: the clock is per
 * process, and a manual clock only moves through the admin API of the process that owns it. A
 * bare `journeys worker` serves no HTTP, so its clock could never cross the 1-hour delay (nor
 * the 60 s lease that strands a delivery its killed predecessor had claimed). So each sender is
 * `journeys start --no-demo`: the very same worker role (engine loop + outbox dispatcher, which
 * do all the sending here) plus an API through which the test sets *that* process's clock. A
 * separate `journeys api` — never killed, no engine — takes the set-up and the ingestion, so no
 * input is lost to a kill (its own settle endpoint would run the engine too; it is never called).
 *
 * Virtual time, shared by all senders: phase 1 (first emails) runs on the senders' own start
 * times. A claim held by a killed sender is leased for 60 s, so whenever the senders go quiet
 * with emails still due, and at the end of each phase, all clocks jump past the leases
 * (+61 s) and the stranded deliveries are claimed again — by a live sender, as in production.
 * Then the clocks jump past the delay (+1 h) and phase 2 (second emails) is killed the same
 * way. A restarted sender is put back on the current virtual time before it counts as up.
 */
const N = 300;
const KILLS_PER_PHASE = 3;
const LEASE_MS = 60_000; // the dispatcher's default claim lease

const STORES = [
  { name: "sqlite", skip: false as string | false, senders: 1 },
  { name: "postgres", skip: PG_SKIP, senders: 2 },
];

for (const store of STORES) {
  describe(`[${store.name}] e2e: senders killed with SIGKILL while draining`, { skip: store.skip }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "journeys-crash-"));
    let sink: SmtpSink;
    let env: NodeJS.ProcessEnv = {};
    let business: Business;
    let apiProcess: Server | undefined;
    const senders: Server[] = [];
    let dropDatabase = async () => {};
    let virtualNow = 0;

    const spawn = (args: string[], port: number) => startServer(args, env, port);
    const http = (port: number) => client(`http://127.0.0.1:${port}`, business);
    const startSender = async (port: number) => {
      const sender = await spawn(["start", "--no-demo"], port);
      if (virtualNow > Date.now()) await http(port).clockTo(virtualNow);
      return sender;
    };
    /** Moves every sender's clock to `to` (all senders share one virtual time). */
    const allTo = async (to: number) => {
      virtualNow = to;
      for (const s of senders) await http(s.port).clockTo(to);
    };
    /** Resolves once no email has arrived for `quietMs` (in-flight sends have landed). */
    const quiet = async (quietMs = 1_500) => {
      let seen = -1;
      while (seen !== sink.receipts.length) {
        seen = sink.receipts.length;
        await new Promise((r) => setTimeout(r, quietMs));
      }
    };
    const distinct = () => new Set(sink.receipts.map((r) => r.messageId)).size;
    const kills: Array<{ phase: number; at: number; busy: boolean }> = [];
    /** Whether an email arrives within `timeoutMs` (the senders are draining). */
    const nextReceipt = async (timeoutMs: number) => {
      const seen = sink.receipts.length;
      const deadline = Date.now() + timeoutMs;
      while (sink.receipts.length === seen && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      return sink.receipts.length > seen;
    };
    /**
     * `times` times: waits until the senders are sending, lets them send for 150–600 ms, then
     * SIGKILLs a random one and restarts it. Senders that go quiet while emails of the phase are
     * still due are waiting out the lease of a claim a killed sender held: all clocks then jump
     * past it, so the next kill lands mid-send again. (A restarted sender may also idle for up
     * to its 1 s dispatcher poll before it sends.)
     */
    const killRepeatedly = async (phase: number, times: number, due: number) => {
      for (let k = 0; k < times; k++) {
        if (!(await nextReceipt(1_500)) && distinct() < due) {
          await allTo(Math.max(virtualNow, Date.now()) + LEASE_MS + 1_000);
          await nextReceipt(3_000);
        }
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 450));
        const index = Math.floor(Math.random() * senders.length);
        const victim = senders[index]!;
        const busy = (sink.receipts.at(-1)?.at ?? 0) > Date.now() - 300;
        kills.push({ phase, at: Date.now(), busy });
        await killServer(victim);
        senders[index] = await startSender(victim.port);
      }
    };

    before(async () => {
      // Up to 100 ms per reply keeps each phase sending for seconds, so kills land mid-send.
      sink = await startSmtpSink({ latencyMs: 100 });
      let databaseUrl = "";
      if (store.name === "postgres") {
        const database = await createPgDatabase();
        databaseUrl = database.url;
        dropDatabase = database.drop;
      }
      env = testEnv(dataDir, databaseUrl);
      business = await createBusiness(env);
      apiProcess = await spawn(["api"], await freePort());
      const api = http(apiProcess.port);
      await api.api("PUT", "/channels/email", {
        provider: "smtp",
        host: "127.0.0.1",
        port: sink.port,
        secure: false,
        from: "Shop <news@shop.test>",
      });
      const template = (step: number) =>
        api.api("POST", "/templates", {
          name: `Step ${step}`,
          channel: "email",
          subject: `Step ${step} for {{ customer.firstName }}`,
          body: `<p>Step ${step}, {{ customer.firstName }}.</p>`,
        });
      const first = await template(1);
      const second = await template(2);
      const journey = await api.api("POST", "/journeys", {
        name: "Onboarding",
        trigger: { type: "event", event: "Signed Up" },
        start: "first",
        nodes: {
          first: { type: "message", channel: "email", templateId: first.id, next: "wait" },
          wait: { type: "delay", amount: 1, unit: "hours", next: "second" },
          second: { type: "message", channel: "email", templateId: second.id, next: null },
        },
      });
      await api.api("POST", `/journeys/${journey.id}/activate`);
      for (let from = 0; from < N; from += 100) {
        const batch = [];
        for (let i = from; i < Math.min(N, from + 100); i++) {
          const userId = `c${i}`;
          batch.push(
            {
              type: "identify",
              userId,
              traits: {
                email: `${userId}@example.com`,
                firstName: userId,
                subscriptions: { email: "subscribed" },
              },
            },
            { type: "track", userId, event: "Signed Up", messageId: `signup-${userId}` },
          );
        }
        const result = await api.ingest("batch", { batch });
        assert.equal(result.accepted, batch.length);
      }
    });

    after(async () => {
      for (const running of [...senders, apiProcess]) {
        if (!running) continue;
        await killServer(running);
      }
      await sink?.close();
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it(`delivers all ${2 * N} emails once each, whatever the kills`, { timeout: 60_000 }, async (t) => {
      const started = Date.now();
      for (let i = 0; i < store.senders; i++) senders.push(await startSender(await freePort()));

      // Phase 1: the first message, due at once on every sender's own clock.
      await killRepeatedly(1, KILLS_PER_PHASE, N);
      await quiet();
      await allTo(Math.max(virtualNow, Date.now()) + LEASE_MS + 1_000); // claims of killed senders expire
      await http(senders[0]!.port).settle();
      assert.equal(distinct(), N, "every first email once the stranded claims were recovered");

      // Phase 2: past the delay, then the second message, killed the same way.
      await allTo(virtualNow + HOUR + 1_000);
      await killRepeatedly(2, KILLS_PER_PHASE, 2 * N);
      await quiet();
      await allTo(virtualNow + LEASE_MS + 1_000);
      await http(senders[0]!.port).settle();

      const byPair = new Map<string, Set<string>>();
      for (const receipt of sink.receipts) {
        const key = pairOf(receipt);
        byPair.set(key, (byPair.get(key) ?? new Set()).add(receipt.messageId));
      }
      const expected = Array.from({ length: N }, (_, i) => [`c${i}:1`, `c${i}:2`]).flat();
      assert.deepEqual([...byPair.keys()].sort(), expected.sort(), "each (customer, step) received");
      const twiceUnderNewIds = [...byPair].filter(([, ids]) => ids.size > 1);
      assert.deepEqual(twiceUnderNewIds, [], "no email sent twice as two different deliveries");
      assert.equal(distinct(), 2 * N);
      assert.ok(
        sink.receipts.every((r) => r.messageId !== ""),
        "every email has a Message-ID",
      );

      // A same-ID redelivery is only acceptable as the at-least-once window of SMTP: the server
      // took the message and the sender was killed before it recorded so (or before it even read
      // the 250). Its first receipt must therefore come right around a kill.
      const firstAt = new Map<string, number>();
      for (const receipt of sink.receipts) {
        const first = firstAt.get(receipt.messageId);
        if (first === undefined) {
          firstAt.set(receipt.messageId, receipt.at);
          continue;
        }
        assert.ok(
          kills.some((k) => Math.abs(k.at - first) < 1_000),
          `${receipt.messageId} was sent again, but no kill came around its first acceptance`,
        );
      }
      const redelivered = sink.receipts.length - distinct();
      const busy = kills.filter((k) => k.busy).length;
      t.diagnostic(
        `${store.name}: ${2 * N} emails expected, ${sink.receipts.length} accepted by the SMTP server, ` +
          `${distinct()} distinct Message-IDs; ${kills.length} SIGKILLs (${busy} while sending), ` +
          `${sink.cutOff} SMTP sessions cut off mid-transaction; ${redelivered} same-Message-ID redeliveries ` +
          `(accepted, then killed before recording); 0 duplicates under different Message-IDs; ${Date.now() - started} ms`,
      );
      assert.ok(busy >= 2, `at least two kills landed while sending (${busy})`);
    });
  });
}

/** `c17:2` for "Step 2 for c17" sent to c17@example.com. */
function pairOf(receipt: Receipt): string {
  const match = /^Step (\d) for (c\d+)$/.exec(receipt.subject);
  assert.ok(match, `unexpected subject ${receipt.subject}`);
  assert.match(receipt.to, new RegExp(`${match[2]}@example\\.com`));
  return `${match[2]}:${match[1]}`;
}
