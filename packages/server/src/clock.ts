/**
 * The one clock. Everything that asks "what time is it" asks a Clock, so a test environment
 * can run on a manual clock that the operator advances (a 3-day delay tested in milliseconds).
 */
export interface Clock {
  now(): number;
  readonly kind: "system" | "manual";
}

export const systemClock: Clock = { kind: "system", now: () => Date.now() };

/** A clock that only moves when told; time never goes backwards. */
export class ManualClock implements Clock {
  readonly kind = "manual" as const;
  #now: number;

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError("advanceMs must be a non-negative number");
    this.#now += ms;
    return this.#now;
  }

  set(to: number): number {
    if (!Number.isFinite(to) || to < this.#now) throw new RangeError("the clock cannot move backwards");
    this.#now = to;
    return this.#now;
  }
}
