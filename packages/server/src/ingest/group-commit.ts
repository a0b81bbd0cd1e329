import { readBusiness } from "../accounts/businesses";
import { MessageIdRace } from "../customers/batched-flush";
import { withCustomerWriter } from "../customers/with-writer";
import { journeyTriggers } from "../engine/triggers";
import { notFound } from "../errors";
import type { Resources } from "../resources";
import type { Store } from "../store/store";
import type { IngestMessage } from "./messages";
import { applyMessages, type MessageOutcome, readAheadOf } from "./pipeline";

/** One ingestion call waiting for its messages to be durable. */
interface Job {
  businessId: string;
  messages: IngestMessage[];
  now: number;
  resolve: (outcomes: MessageOutcome[]) => void;
  reject: (error: unknown) => void;
}

/** Messages one transaction takes at most, so a commit stays short. */
const GROUP_LIMIT = 4_000;
/** Runs of a group that keeps losing races with other processes before its calls fail. */
const RACE_ATTEMPTS = 5;
/** A call this small (an SDK's single identify or track) does not wait behind big batches. */
const SMALL_CALL = 10;

/**
 * Group commit: calls that arrive while a transaction is running wait, and the next
 * transaction takes all of them (up to GROUP_LIMIT messages) — one commit, one fsync, and the
 * index pages they share written once. Each call still resolves only after its own messages
 * are durable. If a group fails as a whole, its calls are retried one by one so one bad call
 * cannot fail the others.
 *
 * The business, its segment catalog and its event triggers are read inside the transaction:
 * read before it, each query would wait for the store's one connection behind whole groups.
 *
 * States: idle → draining (a transaction in progress; new jobs queue) → idle when the queue is empty.
 */
export class IngestQueue {
  readonly #queue: Job[] = [];
  #draining = false;
  #smallWentLast = false;
  #idle: (() => void)[] = [];

  constructor(private readonly r: Resources) {}

  submit(job: Omit<Job, "resolve" | "reject">): Promise<MessageOutcome[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...job, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        await this.#commit(this.#nextGroup());
        // A transaction runs as one chain of microtasks: let requests that arrived meanwhile
        // (a small call to put first) be read before the next one starts.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#draining = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** Resolves once no call is queued or committing (at once if none is). */
  idle(): Promise<void> {
    return this.#draining ? new Promise((resolve) => this.#idle.push(resolve)) : Promise.resolve();
  }

  /**
   * The next transaction's calls: small calls first, on their own (a one-message call commits
   * in a millisecond instead of waiting for thousands of batched messages); otherwise calls in
   * arrival order up to GROUP_LIMIT messages. Never small calls twice in a row, so a steady
   * stream of them cannot starve the batches.
   */
  #nextGroup(): Job[] {
    const small = this.#smallWentLast ? [] : this.#queue.filter((job) => job.messages.length <= SMALL_CALL);
    this.#smallWentLast = small.length > 0;
    if (small.length > 0) {
      this.#queue.splice(
        0,
        this.#queue.length,
        ...this.#queue.filter((job) => job.messages.length > SMALL_CALL),
      );
      return small;
    }
    const group: Job[] = [];
    let size = 0;
    while (
      this.#queue.length > 0 &&
      (group.length === 0 || size + this.#queue[0]!.messages.length <= GROUP_LIMIT)
    ) {
      const job = this.#queue.shift()!;
      group.push(job);
      size += job.messages.length;
    }
    return group;
  }

  async #commit(group: Job[]): Promise<void> {
    try {
      const results = await this.#run(group);
      for (const [i, job] of group.entries()) job.resolve(results[i]!);
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      for (const job of group) {
        try {
          job.resolve((await this.#run([job]))[0]!);
        } catch (single) {
          job.reject(single);
        }
      }
    }
  }

  /** One transaction per business in the group (the writer is per business). */
  async #run(group: Job[]): Promise<MessageOutcome[][]> {
    const results: MessageOutcome[][] = new Array(group.length);
    const byBusiness = new Map<string, number[]>();
    group.forEach((job, i) => {
      const list = byBusiness.get(job.businessId) ?? [];
      list.push(i);
      byBusiness.set(job.businessId, list);
    });
    const { store, catalogs, newId } = this.r;
    for (const [businessId, indexes] of byBusiness) {
      const transaction = () =>
        withCustomerWriter(
          store,
          businessId,
          async (w, db) => {
            const business = await readBusiness(db, businessId);
            if (!business) throw notFound("business");
            const catalog = await catalogs.get(db, businessId);
            const eventTriggers = await journeyTriggers(store).forBusiness(businessId, db);
            await w.readAhead?.(
              readAheadOf(
                indexes.flatMap((i) => group[i]!.messages),
                catalog,
              ),
            );
            for (const i of indexes) {
              const job = group[i]!;
              results[i] = await applyMessages(
                w,
                { business, catalog, eventTriggers, newId, now: job.now },
                job.messages,
              );
            }
          },
          { batched: true },
        );
      for (let attempt = 1; ; attempt++) {
        try {
          await transaction();
          break;
        } catch (error) {
          if (!worthRetrying(error) || attempt === RACE_ATTEMPTS) throw error;
        }
      }
    }
    return results;
  }
}

/**
 * A group that lost a race with another process is run again whole (PostgreSQL, many API
 * processes): another transaction meanwhile stored some of its message ids (the rerun reports
 * them as duplicates) or created a customer it was creating too (the rerun finds that
 * customer), or PostgreSQL chose it as a deadlock's victim.
 */
function worthRetrying(error: unknown): boolean {
  if (error instanceof MessageIdRace) return true;
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  if (code === "40P01") return true;
  return code === "23505" && (constraint === "customers_user_id" || constraint === "customers_email");
}

const queues = new WeakMap<Store, IngestQueue>();

/** The store's ingestion queue (one per store per process). */
export function ingestQueue(r: Resources): IngestQueue {
  let queue = queues.get(r.store);
  if (!queue) {
    queue = new IngestQueue(r);
    queues.set(r.store, queue);
  }
  return queue;
}
