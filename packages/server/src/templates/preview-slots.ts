import { rateLimited } from "../errors";

/** Previews of one business rendering at once, in this process. */
export const PREVIEWS_AT_ONCE = 2;

/**
 * Holds the count of previews each business has rendering, so one business cannot fill the
 * render threads with previews (a render takes up to its deadline): beyond `PREVIEWS_AT_ONCE`,
 * 429 `too_many_previews` with Retry-After.
 *
 * @example
 *   const slots = new PreviewSlots();
 *   const rendered = await slots.run("bus_…", () => previewTemplate(r, …));
 */
export class PreviewSlots {
  readonly #running = new Map<string, number>();

  async run<T>(businessId: string, preview: () => Promise<T>): Promise<T> {
    const running = this.#running.get(businessId) ?? 0;
    if (running >= PREVIEWS_AT_ONCE) {
      throw rateLimited(
        "too_many_previews",
        `at most ${PREVIEWS_AT_ONCE} previews of a business render at once`,
        1,
      );
    }
    this.#running.set(businessId, running + 1);
    try {
      return await preview();
    } finally {
      const left = (this.#running.get(businessId) ?? 1) - 1;
      if (left === 0) this.#running.delete(businessId);
      else this.#running.set(businessId, left);
    }
  }
}
