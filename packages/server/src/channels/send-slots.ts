import type { ChannelProvider } from "./provider";
import type { ChannelSetup } from "./setup";
import { SMTP_CONNECTIONS } from "./smtp";

/**
 * Sends in flight per provider, held to what the provider can make progress on at once (an
 * SMTP pool's connections). A send that waited in the provider's own queue could outlive the
 * claim's lease, be claimed again by another lane or worker, and go out twice; waiting here
 * instead, the fence is checked after the wait, when the send really starts.
 *
 * @example
 *   const release = await providers.sendSlots.take(provider, setup);
 *   try { …check the fence, send… } finally { release(); }
 */
export class SendSlots {
  readonly #slots = new WeakMap<ChannelProvider, Slots>();

  take(provider: ChannelProvider, setup: ChannelSetup): Promise<() => void> {
    let slots = this.#slots.get(provider);
    if (!slots) {
      slots = new Slots(slotsFor(setup));
      this.#slots.set(provider, slots);
    }
    return slots.take();
  }
}

/** SMTP: the pool's connections; other providers: HTTP requests at once. */
function slotsFor(setup: ChannelSetup): number {
  const configured = (setup.config as { maxConnections?: unknown }).maxConnections;
  if (typeof configured === "number" && configured >= 1) return configured;
  return setup.provider === "smtp" ? SMTP_CONNECTIONS : 16;
}

/** A counting semaphore, first come first served. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async take(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}
