import type { DeliveryHandOff } from "../engine/hand-off";
import type { DeliveriesTable } from "../store/schema";
import { type ClaimedDelivery, toClaimedDelivery } from "./delivery";

/**
 * The deliveries this process's engine handed its dispatcher (see `engine/hand-off.ts`),
 * waiting for a lane, and whether the outbox may hold due deliveries too (`behind`). Bounded
 * by `limit`: past it the engine leaves new deliveries queued in the outbox for any worker's
 * claim, so a busy process does not hoard them. States: open → closed (the dispatcher is
 * stopping: no room, but what is in hand is still sent).
 *
 * @example
 *   const inHand = new InHand({ leaseMs: 60_000, limit: 1_000, onTake: wake });
 *   const batch = inHand.next(200);
 */
export class InHand implements DeliveryHandOff {
  readonly leaseMs: number;
  readonly #limit: number;
  readonly #onTake: () => void;
  #waiting: ClaimedDelivery[] = [];
  #open = true;
  #behind = true;
  /** Counts `fallBehind` calls, so a claim that started before one cannot undo it. */
  #marks = 0;

  constructor(options: { leaseMs: number; limit: number; onTake: () => void }) {
    this.leaseMs = options.leaseMs;
    this.#limit = options.limit;
    this.#onTake = options.onTake;
  }

  room(): number {
    return this.#open ? Math.max(0, this.#limit - this.#waiting.length) : 0;
  }

  /** The outbox may hold due deliveries (queued ones, retries, expired leases), so a claim is worth its statement. */
  get behind(): boolean {
    return this.#behind;
  }

  /** New due deliveries may be in the outbox. */
  fallBehind(): void {
    this.#behind = true;
    this.#marks++;
  }

  /** Taken before a claim: pass it to `caughtUp` if the claim came back short. */
  mark(): number {
    return this.#marks;
  }

  /** A claim started at `mark` found no more due deliveries: unless something fell behind since. */
  caughtUp(mark: number): void {
    if (mark === this.#marks) this.#behind = false;
  }

  take(deliveries: DeliveriesTable[]): void {
    for (const row of deliveries) this.#waiting.push(toClaimedDelivery(row));
    this.#onTake();
  }

  /** Up to `max` deliveries, oldest first, taken out of the hand. */
  next(max: number): ClaimedDelivery[] {
    return this.#waiting.splice(0, max);
  }

  get size(): number {
    return this.#waiting.length;
  }

  close(): void {
    this.#open = false;
  }
}
