import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { RenderedContent, RenderInput } from "./render";
import type { RenderReply, RenderRequest } from "./render-thread-host";
import type { Template } from "./template";

/**
 * Renders templates for one customer (`renderTemplate`), somewhere a slow template cannot stall
 * the server. Previews and sends go through it.
 */
export interface TemplateRenderer {
  render(businessId: string, template: Template, input: RenderInput): Promise<RenderedContent>;
  /** Starts the threads now, so the first messages do not wait for them to load. */
  warm(): void;
  close(): Promise<void>;
}

/** How long one template may take, whatever it does, before its thread is stopped. */
export const RENDER_DEADLINE_MS = 1_000;

/** Heap a render thread may use; a template that needs more stops its thread, not the server. */
const THREAD_HEAP_MB = 256;

/** Renders a thread holds at once for businesses whose renders are quick (a message each costs). */
const IN_FLIGHT = 16;

/** A business whose last render took longer than this on its thread is given one thread at a time. */
const QUICK_MS = 5;

/** Businesses whose last turn and render time are remembered; one forgotten counts as new. */
const MAX_REMEMBERED = 10_000;

/**
 * Liquid runs on a few threads of its own, never on the main thread: a tenant's template can
 * take up to its budget (liquidjs stops a render after 250 ms between tags, and a single filter
 * call that runs past `RENDER_DEADLINE_MS` — sorting a million-item range — has its thread
 * terminated) while requests, ingestion and the engine go on.
 *
 * Fair between businesses: each business has its own queue, and a thread with room takes the next
 * job of the business served longest ago. A thread renders its jobs one after another; it holds
 * up to `IN_FLIGHT` of them (one message per render would cost more than most renders) but only
 * for businesses whose last render was quick — a business that is new or whose renders are slow
 * gets a thread only when it is empty, so it never sits in front of another business's renders.
 *
 * States of a thread: loading → ready (jobs in flight, the one at the head timed) → ready;
 * stopped when the head's deadline passes or the thread dies (out of memory), failing the head
 * and handing the jobs behind it back to their queues; a stopped thread is replaced.
 *
 * @example
 *   const renderer = new RenderThreads();
 *   const email = await renderer.render("bus_…", template, { customer, event: null, business });
 *   await renderer.close();
 */
export class RenderThreads implements TemplateRenderer {
  readonly #size: number;
  readonly #deadlineMs: number;
  readonly #threads = new Set<RenderThread>();
  /** Queued jobs per business. */
  readonly #queues = new Map<string, Job[]>();
  /** When each business was last given a thread (a tick count): the longest-waiting goes next. */
  readonly #lastServed = new Map<string, number>();
  /** How long each business's last render took on its thread, ms. */
  readonly #lastRenderMs = new Map<string, number>();
  #ticks = 0;
  #nextId = 0;
  #closed = false;

  constructor(options: { threads?: number; deadlineMs?: number } = {}) {
    this.#size = options.threads ?? Math.min(4, Math.max(2, availableParallelism()));
    this.#deadlineMs = options.deadlineMs ?? RENDER_DEADLINE_MS;
  }

  render(businessId: string, template: Template, input: RenderInput): Promise<RenderedContent> {
    if (this.#closed) return Promise.reject(new Error("the template renderer is closed"));
    return new Promise((resolve, reject) => {
      this.#enqueue({ businessId, request: { id: ++this.#nextId, template, input }, resolve, reject });
      this.#pump();
    });
  }

  warm(): void {
    while (!this.#closed && this.#threads.size < this.#size) this.#threads.add(this.#spawn());
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const queue of this.#queues.values())
      for (const job of queue) job.reject(new Error("the template renderer closed"));
    this.#queues.clear();
    const threads = [...this.#threads];
    this.#threads.clear();
    await Promise.all(threads.map((t) => t.stop("the template renderer closed")));
  }

  #enqueue(job: Job, front = false): void {
    const queue = this.#queues.get(job.businessId);
    if (!queue) this.#queues.set(job.businessId, [job]);
    else if (front) queue.unshift(job);
    else queue.push(job);
  }

  /** Hands queued jobs to threads with room, businesses in turn. */
  #pump(): void {
    if (this.#closed) return;
    for (;;) {
      const placed = this.#placeOne();
      if (!placed) break;
    }
    // Every thread busy and room for more: start one, which takes work once it has loaded.
    const loading = [...this.#threads].some((t) => t.loading);
    if (this.#queues.size > 0 && this.#threads.size < this.#size && !loading)
      this.#threads.add(this.#spawn());
  }

  /** Gives the longest-waiting business that a thread has room for its next job; false when none fits. */
  #placeOne(): boolean {
    const businesses = [...this.#queues.keys()].sort(
      (a, b) => (this.#lastServed.get(a) ?? 0) - (this.#lastServed.get(b) ?? 0),
    );
    for (const businessId of businesses) {
      const quick = (this.#lastRenderMs.get(businessId) ?? Number.POSITIVE_INFINITY) <= QUICK_MS;
      const thread = this.#roomFor(quick);
      if (!thread) continue;
      const queue = this.#queues.get(businessId)!;
      const job = queue.shift()!;
      if (queue.length === 0) this.#queues.delete(businessId);
      this.#remember(this.#lastServed, businessId, ++this.#ticks);
      thread.run(job, quick);
      return true;
    }
    return false;
  }

  /** An empty thread, or for a quick business the least loaded one with room. */
  #roomFor(quick: boolean): RenderThread | null {
    let best: RenderThread | null = null;
    for (const thread of this.#threads) {
      if (!thread.ready) continue;
      if (thread.inFlight === 0) return thread;
      if (
        quick &&
        thread.quickOnly &&
        thread.inFlight < IN_FLIGHT &&
        (!best || thread.inFlight < best.inFlight)
      )
        best = thread;
    }
    return best;
  }

  #remember(map: Map<string, number>, businessId: string, value: number): void {
    map.delete(businessId); // re-inserted last: the oldest entry is the first to forget
    map.set(businessId, value);
    if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value!);
  }

  #spawn(): RenderThread {
    const thread: RenderThread = new RenderThread(this.#deadlineMs, {
      ready: () => this.#pump(),
      rendered: (job, ms) => {
        this.#remember(this.#lastRenderMs, job.businessId, ms);
        this.#pump();
      },
      stopped: (behind) => {
        this.#threads.delete(thread);
        // The jobs behind the one that stopped the thread did nothing wrong: first in line again.
        for (const job of behind.reverse()) this.#enqueue(job, true);
        this.#pump();
      },
    });
    return thread;
  }
}

interface Job {
  businessId: string;
  request: RenderRequest;
  resolve(rendered: RenderedContent): void;
  reject(error: Error): void;
}

/** One worker thread rendering the jobs it holds in order, the one at the head under a deadline. */
class RenderThread {
  readonly #worker: Worker;
  readonly #jobs: Job[] = [];
  /** Whether every job it holds is of a quick business (a slow one's job holds the thread alone). */
  #quickOnly = true;
  #timer: NodeJS.Timeout | undefined;
  #ready = false;
  #stopped = false;

  constructor(
    private readonly deadlineMs: number,
    private readonly on: {
      ready(): void;
      rendered(job: Job, ms: number): void;
      stopped(behind: Job[]): void;
    },
  ) {
    this.#worker = new Worker(new URL("./render-thread.worker.mjs", import.meta.url), {
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
    });
    // An idle thread keeps no process alive; one rendering does, until it answers.
    this.#worker.unref();
    this.#worker.on("message", (reply: RenderReply) => {
      if ("ready" in reply) {
        this.#ready = true;
        this.on.ready();
        return;
      }
      const job = this.#jobs[0];
      if (!job || reply.id !== job.request.id) return;
      this.#jobs.shift();
      this.#timeHead();
      if (reply.ok) job.resolve(reply.rendered);
      else job.reject(new Error(reply.message));
      this.on.rendered(job, reply.ms);
    });
    this.#worker.on("error", (error: Error & { code?: string }) =>
      this.#die(
        error.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? `the template needs more memory than a render may use (${THREAD_HEAP_MB} MB)`
          : `the render thread failed: ${error.message}`,
      ),
    );
    this.#worker.on("exit", (code) => this.#die(`the render thread stopped (exit code ${code})`));
  }

  get ready(): boolean {
    return this.#ready && !this.#stopped;
  }

  get loading(): boolean {
    return !this.#ready && !this.#stopped;
  }

  get inFlight(): number {
    return this.#jobs.length;
  }

  /** Whether it may take more jobs of quick businesses. */
  get quickOnly(): boolean {
    return this.#quickOnly;
  }

  /** Takes `job`, rendered after those it holds; `quick` says its business's renders are quick. */
  run(job: Job, quick: boolean): void {
    if (this.#jobs.length === 0) this.#quickOnly = quick;
    this.#jobs.push(job);
    if (this.#jobs.length === 1) this.#timeHead();
    this.#worker.postMessage(job.request);
  }

  /** Terminates the thread, failing the job at the head with `why`. */
  async stop(why: string): Promise<void> {
    this.#die(why);
    await this.#worker.terminate();
  }

  /** Times the job at the head (the one the thread renders now) from now; with none, rests. */
  #timeHead(): void {
    clearTimeout(this.#timer);
    if (this.#jobs.length === 0) {
      this.#worker.unref();
      return;
    }
    this.#worker.ref();
    this.#timer = setTimeout(
      () => void this.stop(`the template took longer than ${this.deadlineMs} ms to render`),
      this.deadlineMs,
    );
  }

  #die(why: string): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#worker.unref();
    const [head, ...behind] = this.#jobs.splice(0);
    head?.reject(new Error(why));
    this.on.stopped(behind);
  }
}
