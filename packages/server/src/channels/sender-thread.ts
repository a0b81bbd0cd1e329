import { Worker } from "node:worker_threads";
import type { ChannelProvider, OutgoingMessage, SendOptions, SendResult } from "./provider";
import { providerDefinition } from "./registry";
import type { HostReply, HostRequest, SenderThreadData } from "./sender-thread-host";
import type { ChannelSetup } from "./setup";

/**
 * Channel providers on a thread of their own. Building and sending a message — MIME encoding,
 * the SMTP conversation, TLS — was most of the dispatcher's CPU, and on the embedded server it
 * shared one thread with HTTP, ingestion and the engine (a quarter of that thread at 1,000
 * emails/s). Only `send` crosses: claims, fences and records stay with the store.
 *
 * The providers themselves are the ordinary ones (`PROVIDERS`), built on the thread from the
 * same set-up. If the thread dies, sends in flight answer `retryable` (the dispatcher retries
 * them with backoff) and the next send starts a new thread.
 *
 * @example
 *   const senders = new SenderThread({ allowPrivateNetwork: config.allowPrivateNetwork });
 *   const providers = new ProviderCache(senders.build);
 *   // … dispatch …
 *   await providers.close();
 *   await senders.close();
 */
export class SenderThread {
  /** Whether the thread's providers may reach private addresses (JOURNEYS_ALLOW_PRIVATE_NETWORK). */
  readonly #allowPrivateNetwork: boolean;
  #worker: Worker | null = null;
  #generation = 0;
  #nextRequest = 0;
  #nextProvider = 0;
  readonly #pending = new Map<number, (reply: HostReply) => void>();

  constructor(options: { allowPrivateNetwork: boolean }) {
    this.#allowPrivateNetwork = options.allowPrivateNetwork;
  }

  /**
   * Starts the thread now rather than at the first send: loading its modules takes a moment
   * (and ~30 MB) better spent before the first email than during it.
   */
  warm(): void {
    this.#thread();
  }

  /** A provider for `setup` whose sends run on the thread; null when no such provider exists. */
  readonly build = (setup: ChannelSetup): ChannelProvider | null => {
    if (!providerDefinition(setup.channel, setup.provider)) return null;
    const id = ++this.#nextProvider;
    let openedOn = -1;
    const ensureOpen = (worker: Worker) => {
      if (openedOn === this.#generation) return;
      openedOn = this.#generation;
      worker.postMessage({ kind: "open", provider: id, setup } satisfies HostRequest);
    };
    return {
      channel: setup.channel,
      name: setup.provider,
      send: async (message: OutgoingMessage, options: SendOptions): Promise<SendResult> => {
        const worker = this.#thread();
        ensureOpen(worker);
        const reply = await this.#request(worker, { kind: "send", provider: id, message, options });
        if (reply.kind === "sent") return reply.result;
        const why = reply.kind === "failed" ? reply.message : "the provider was closed";
        return { ok: false, kind: "retryable", message: why };
      },
      close: async () => {
        if (!this.#worker || openedOn !== this.#generation) return;
        await this.#request(this.#worker, { kind: "close", provider: id });
      },
    } as ChannelProvider;
  };

  /** Stops the thread (close the providers first so their connections end cleanly). */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker) await worker.terminate();
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const generation = ++this.#generation;
    // The bootstrap registers the TypeScript loader: a thread does not inherit the process's.
    const worker = new Worker(new URL("./sender-thread.worker.mjs", import.meta.url), {
      execArgv: [],
      workerData: { allowPrivateNetwork: this.#allowPrivateNetwork } satisfies SenderThreadData,
    });
    worker.on("message", (reply: HostReply) => {
      const resolve = this.#pending.get(reply.request);
      this.#pending.delete(reply.request);
      resolve?.(reply);
    });
    const fail = (why: string) => {
      if (this.#generation === generation) this.#worker = null;
      for (const [request, resolve] of this.#pending) resolve({ kind: "failed", request, message: why });
      this.#pending.clear();
    };
    worker.on("error", (error) => fail(`the sender thread failed: ${error.message}`));
    worker.on("exit", (code) => fail(`the sender thread stopped (exit code ${code})`));
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #request(worker: Worker, body: DistributiveOmit<Exclude<HostRequest, { kind: "open" }>, "request">) {
    const request = ++this.#nextRequest;
    return new Promise<HostReply>((resolve) => {
      this.#pending.set(request, resolve);
      worker.postMessage({ ...body, request } as HostRequest);
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
