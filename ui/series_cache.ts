/**
 * A byte-bounded, least-recently-used cache of reduced metric series, so the chart view of a
 * thousand runs reads each history once rather than on every visit, filter or grouping change.
 * An entry is valid while its run's latest point of that metric (step, timestamp, value) is the
 * one it was read with: any point logged after it changes that point and reloads the entry.
 * Concurrent requests for one entry share one load.
 */
import type { ReducedSeries } from "./chart_reduce.ts";

interface Entry {
  sig: string;
  value: ReducedSeries;
}

/** The default budget: about 10,000 series of 128 buckets. */
export const SERIES_CACHE_BYTES = 96 * 1024 * 1024;

/** See the module comment. */
export class SeriesCache {
  readonly #max: number;
  #bytes = 0;
  #entries = new Map<string, Entry>();
  #loading = new Map<string, Promise<ReducedSeries>>();

  constructor(maxBytes = SERIES_CACHE_BYTES) {
    this.#max = maxBytes;
  }

  /** The entry for `key` if its signature is `sig`, else what `load` gives (then kept). */
  async get(key: string, sig: string, load: () => Promise<ReducedSeries>): Promise<ReducedSeries> {
    const hit = this.#entries.get(key);
    if (hit && hit.sig === sig) {
      // Most recently used last: the first entry is the one to evict.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.value;
    }
    const flight = `${key}\u0000${sig}`;
    const pending = this.#loading.get(flight);
    if (pending) return await pending;
    const p = load();
    this.#loading.set(flight, p);
    try {
      const value = await p;
      this.#put(key, { sig, value });
      return value;
    } finally {
      this.#loading.delete(flight);
    }
  }

  #put(key: string, e: Entry): void {
    const old = this.#entries.get(key);
    if (old) {
      this.#bytes -= old.value.bytes;
      this.#entries.delete(key);
    }
    if (e.value.bytes > this.#max) return;
    this.#entries.set(key, e);
    this.#bytes += e.value.bytes;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#max) break;
      this.#entries.delete(k);
      this.#bytes -= v.value.bytes;
    }
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }
}
