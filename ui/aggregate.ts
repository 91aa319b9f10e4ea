/**
 * Aggregates a group's runs per pixel column (pure): each run's reduced series is interpolated at
 * the column centres it spans and folded into the column's count, sum, sum of squares, min and
 * max; memory is a few numbers per column whatever the runs' lengths. The median keeps one value
 * per run and column (runs × columns numbers, never the histories).
 */

/** Columns of a chart's x domain: `count` equal slices of [lo, hi], at their centres. */
export function columns(lo: number, hi: number, count: number): number[] {
  const n = Math.max(1, Math.floor(count));
  const w = (hi - lo) / n;
  return Array.from({ length: n }, (_, i) => (n === 1 && w === 0 ? lo : lo + (i + 0.5) * w));
}

/** A group's aggregate line and band at each column (NaN where no run reaches). */
export interface Aggregate {
  xs: number[];
  mid: number[];
  lo: number[];
  hi: number[];
  /** Runs added. */
  runs: number;
}

/** See the module comment. */
export class ColumnAggregator {
  readonly #xs: number[];
  readonly #median: boolean;
  readonly #std: boolean;
  readonly #n: Float64Array;
  readonly #sum: Float64Array;
  readonly #sq: Float64Array;
  readonly #min: Float64Array;
  readonly #max: Float64Array;
  readonly #values: number[][] | undefined;
  #runs = 0;

  constructor(xs: number[], agg: "mean" | "median", band: "minmax" | "std" | "none") {
    const c = xs.length;
    this.#xs = xs;
    this.#median = agg === "median";
    this.#std = band === "std";
    this.#n = new Float64Array(c);
    this.#sum = new Float64Array(c);
    this.#sq = new Float64Array(c);
    this.#min = new Float64Array(c).fill(Infinity);
    this.#max = new Float64Array(c).fill(-Infinity);
    this.#values = this.#median ? Array.from({ length: c }, () => []) : undefined;
  }

  /**
   * Adds one run: its points (x ascending; NaN values are gaps) are interpolated linearly at
   * every column centre between its first and last x, except across gaps.
   */
  add(xs: number[], ys: number[]): void {
    if (!xs.length) return;
    this.#runs++;
    const cx = this.#xs;
    if (xs.length === 1) {
      // One point counts in the column nearest to it only.
      let best = 0;
      for (let c = 1; c < cx.length; c++) {
        if (Math.abs(cx[c] - xs[0]) < Math.abs(cx[best] - xs[0])) best = c;
      }
      return this.#fold(best, ys[0]);
    }
    let j = 0;
    for (let c = 0; c < cx.length; c++) {
      const x = cx[c];
      while (j + 1 < xs.length && xs[j + 1] < x) j++;
      if (x === xs[j]) this.#fold(c, ys[j]);
      else if (j + 1 < xs.length && xs[j] <= x && x <= xs[j + 1]) {
        const t = (x - xs[j]) / (xs[j + 1] - xs[j]);
        this.#fold(c, ys[j] + (ys[j + 1] - ys[j]) * t);
      }
    }
  }

  #fold(c: number, y: number): void {
    if (!Number.isFinite(y)) return;
    this.#n[c]++;
    this.#sum[c] += y;
    this.#sq[c] += y * y;
    if (y < this.#min[c]) this.#min[c] = y;
    if (y > this.#max[c]) this.#max[c] = y;
    this.#values?.[c].push(y);
  }

  /** The aggregate so far. */
  result(): Aggregate {
    const c = this.#xs.length;
    const mid = new Array<number>(c), lo = new Array<number>(c), hi = new Array<number>(c);
    for (let i = 0; i < c; i++) {
      const n = this.#n[i];
      if (n === 0) {
        mid[i] = lo[i] = hi[i] = NaN;
        continue;
      }
      const mean = this.#sum[i] / n;
      mid[i] = this.#values ? median(this.#values[i]) : mean;
      if (this.#std) {
        const sd = Math.sqrt(Math.max(0, this.#sq[i] / n - mean * mean));
        [lo[i], hi[i]] = [mid[i] - sd, mid[i] + sd];
      } else [lo[i], hi[i]] = [this.#min[i], this.#max[i]];
    }
    return { xs: this.#xs, mid, lo, hi, runs: this.#runs };
  }
}

/** The median of numbers (sorts them in place). */
export function median(v: number[]): number {
  if (!v.length) return NaN;
  v.sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
