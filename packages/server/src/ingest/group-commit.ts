import type { Business } from "../accounts/businesses";
import { withCustomerWriter } from "../customers/with-writer";
import type { EventTrigger } from "../engine/triggers";
import type { IdGenerator } from "../ids";
import type { SegmentCatalog } from "../segments/catalog";
import type { Store } from "../store/store";
import type { IngestMessage } from "./messages";
import { applyMessages, type MessageOutcome } from "./pipeline";

/** One ingestion call waiting for its messages to be durable. */
interface Job {
  business: Business;
  catalog: SegmentCatalog;
  eventTriggers: ReadonlyMap<string, readonly EventTrigger[]>;
  messages: IngestMessage[];
  now: number;
  resolve: (outcomes: MessageOutcome[]) => void;
  reject: (error: unknown) => void;
}

/** Messages one transaction takes at most, so a commit stays short. */
const GROUP_LIMIT = 4_000;

/**
 * Group commit: calls that arrive while a transaction is running wait, and the next
 * transaction takes all of them (up to GROUP_LIMIT messages) — one commit, one fsync, and the
 * index pages they share written once. Each call still resolves only after its own messages
 * are durable. If a group fails as a whole, its calls are retried one by one so one bad call
 * cannot fail the others.
 *
 * States: idle → draining (a transaction in progress; new jobs queue) → idle when the queue is empty.
 */
export class IngestQueue {
  readonly #queue: Job[] = [];
  #draining = false;

  constructor(
    private readonly store: Store,
    private readonly newId: IdGenerator,
  ) {}

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
        await this.#commit(group);
      }
    } finally {
      this.#draining = false;
    }
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
      const list = byBusiness.get(job.business.id) ?? [];
      list.push(i);
      byBusiness.set(job.business.id, list);
    });
    for (const [businessId, indexes] of byBusiness) {
      await withCustomerWriter(this.store, businessId, async (w) => {
        for (const i of indexes) {
          const job = group[i]!;
          results[i] = await applyMessages(
            w,
            {
              business: job.business,
              catalog: job.catalog,
              eventTriggers: job.eventTriggers,
              newId: this.newId,
              now: job.now,
            },
            job.messages,
          );
        }
      });
    }
    return results;
  }
}

const queues = new WeakMap<Store, IngestQueue>();

/** The store's ingestion queue (one per store per process). */
export function ingestQueue(store: Store, newId: IdGenerator): IngestQueue {
  let queue = queues.get(store);
  if (!queue) {
    queue = new IngestQueue(store, newId);
    queues.set(store, queue);
  }
  return queue;
}
