/**
 * A byte-bounded, least-recently-used cache of what charts are made of, so the chart view of a
 * thousand runs reads each history once rather than on every visit, filter or grouping change:
 * reduced metric series, valid while their run's latest point of that metric (step, timestamp,
 * value) is the one they were read with (any point logged after it changes that point and
 * reloads the entry); and whole charts, keyed by everything they were drawn from. Concurrent
 * requests for one entry share one load.
 */
import type { ReducedSeries } from "./chart_reduce.ts";

interface Entry<T> {
  sig: string;
  value: T;
}

/** The default budget of reduced series: about 10,000 series of 128 buckets. */
export const SERIES_CACHE_BYTES = 96 * 1024 * 1024;
/** The default budget of drawn charts: a few pages of dense charts (about 2.5 MB each). */
export const CHART_CACHE_BYTES = 64 * 1024 * 1024;

/** See the module comment; `T` says how many bytes it holds. */
export class SizedCache<T extends { bytes: number }> {
  readonly #max: number;
  #bytes = 0;
  #entries = new Map<string, Entry<T>>();
  #loading = new Map<string, Promise<T>>();

  constructor(maxBytes = SERIES_CACHE_BYTES) {
    this.#max = maxBytes;
  }

  /** The entry for `key` if its signature is `sig`, else what `load` gives (then kept). */
  async get(key: string, sig: string, load: () => Promise<T>): Promise<T> {
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

  #put(key: string, e: Entry<T>): void {
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

/** The cache of reduced series. */
export class SeriesCache extends SizedCache<ReducedSeries> {}
