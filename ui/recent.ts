/**
 * Results of recent searches, kept a few seconds: a chart tab's page and the charts it loads
 * later (scrolled into view, zoomed, hovered) ask for the same runs within moments, and a search
 * of a thousand runs is the costliest part of drawing them. A small, time-bounded map.
 */

/** See the module comment. */
export class Recent<T> {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  #entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(ttlMs = 10_000, max = 16, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#max = max;
    this.#now = now;
  }

  /** The value kept for `key` if fresh, else what `load` gives (failures are not kept). */
  get(key: string, load: () => Promise<T>): Promise<T> {
    const t = this.#now();
    const hit = this.#entries.get(key);
    if (hit && t - hit.at < this.#ttlMs) return hit.value;
    const value = load();
    this.#entries.delete(key);
    this.#entries.set(key, { at: t, value });
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    for (const [k, e] of this.#entries) {
      if (this.#entries.size <= this.#max && t - e.at < this.#ttlMs) break;
      this.#entries.delete(k);
    }
    return value;
  }
}
