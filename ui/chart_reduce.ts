/**
 * Streaming per-pixel reduction of a metric history: points arrive page by page and fold into at
 * most `target` x buckets, each keeping its lowest and highest point and the sums of its x and y,
 * so a chart of any length is drawn from a few hundred numbers and the history is never held
 * whole. Also keeps the series' summary (count, min, max and their steps, the latest point).
 * Pure: numbers in, numbers out.
 */
import type { Metric } from "../src/model.ts";
import type { XMode } from "./chart.ts";

/** Numbers per bucket in ReducedSeries.data: x and y of the lowest point, of the highest, Σx, Σy, n. */
export const FIELDS = 7;

/** A whole series' summary, over every point whatever the chart shows. */
export interface SeriesSummary {
  count: number;
  /** Lowest and highest finite value (NaN when none) and the step of each. */
  min: number;
  max: number;
  minStep?: number;
  maxStep?: number;
  /** The latest point by (step, timestamp), as MLflow picks it. */
  latest?: Metric;
}

/**
 * A reduced series: buckets in x order. For bucket i, `data[i*7 ..]` holds the x and y of its
 * lowest and highest finite point, the sums of the finite points' x and y, and their number; a
 * bucket whose points were all NaN or ±Infinity has n = 0 and marks a gap.
 */
export interface ReducedSeries {
  summary: SeriesSummary;
  data: Float64Array;
  buckets: number;
  /** Bytes held (for caches). */
  bytes: number;
}

/** Options of a SeriesReducer. */
export interface ReduceOptions {
  /** Buckets wanted (about the plot's width in pixels, or less). */
  target: number;
  x: XMode;
  /** Exponential smoothing weight in [0, 1), applied to every point in logging order. */
  smooth?: number;
  /** Only points with x in [lo, hi] are drawn (the summary still counts every point). */
  range?: [number, number];
}

/** Folds metric points into x buckets; see the module comment. */
export class SeriesReducer {
  readonly #target: number;
  readonly #x: XMode;
  readonly #weight: number;
  readonly #range?: [number, number];
  #width = 0;
  #buckets = new Map<number, number[]>();
  #ema = 0;
  #emaN = 0;
  #t0 = NaN;
  readonly summary: SeriesSummary = { count: 0, min: NaN, max: NaN };

  constructor(o: ReduceOptions) {
    this.#target = Math.max(1, Math.floor(o.target));
    this.#x = o.x;
    this.#weight = o.smooth && o.smooth > 0 && o.smooth < 1 ? o.smooth : 0;
    this.#range = o.range;
  }

  /** Adds one page of points (in logging order). */
  add(points: Metric[]): void {
    if (points.length === 0) return;
    if (Number.isNaN(this.#t0)) this.#t0 = points[0].timestamp;
    if (this.#width === 0) this.#width = this.#startWidth(points);
    const s = this.summary;
    for (const m of points) {
      s.count++;
      const v = m.value;
      if (Number.isFinite(v)) {
        if (!(v >= s.min)) [s.min, s.minStep] = [v, m.step];
        if (!(v <= s.max)) [s.max, s.maxStep] = [v, m.step];
      }
      const l = s.latest;
      if (!l || m.step > l.step || (m.step === l.step && m.timestamp >= l.timestamp)) {
        s.latest = m;
      }
      const x = this.#xOf(m);
      const y = this.#smooth(v);
      if (this.#range && (x < this.#range[0] || x > this.#range[1])) continue;
      this.#put(x, y);
    }
  }

  // Relative time counts from the series' first logged point.
  #xOf(m: Metric): number {
    return this.#x === "step"
      ? m.step
      : this.#x === "time"
      ? m.timestamp
      : (m.timestamp - this.#t0) / 1000;
  }

  // Exponential moving average with bias correction over logging order; NaN passes through.
  #smooth(y: number): number {
    if (this.#weight === 0 || !Number.isFinite(y)) return y;
    this.#ema = this.#ema * this.#weight + (1 - this.#weight) * y;
    this.#emaN++;
    return this.#ema / (1 - Math.pow(this.#weight, this.#emaN));
  }

  // A power of two near the first page's x span per target bucket.
  #startWidth(points: Metric[]): number {
    let lo = Infinity, hi = -Infinity;
    for (const m of points) {
      const x = this.#xOf(m);
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    if (this.#range) [lo, hi] = [Math.max(lo, this.#range[0]), Math.min(hi, this.#range[1])];
    const span = hi - lo;
    return span > 0 ? Math.pow(2, Math.floor(Math.log2(span / this.#target))) : 1;
  }

  #put(x: number, y: number): void {
    const k = Math.floor(x / this.#width);
    let b = this.#buckets.get(k);
    if (!b) {
      b = [x, y, x, y, 0, 0, 0];
      this.#buckets.set(k, b);
      if (this.#buckets.size > 2 * this.#target) this.#coarsen(2 * this.#target);
    }
    if (!Number.isFinite(y)) return;
    if (b[6] === 0) {
      b[0] = b[2] = x;
      b[1] = b[3] = y;
    } else {
      if (y < b[1]) [b[0], b[1]] = [x, y];
      if (y > b[3]) [b[2], b[3]] = [x, y];
    }
    b[4] += x;
    b[5] += y;
    b[6]++;
  }

  // Doubles the bucket width (merging neighbours) until at most `max` buckets remain.
  #coarsen(max: number): void {
    while (this.#buckets.size > max) {
      this.#width *= 2;
      const next = new Map<number, number[]>();
      for (const [k, b] of this.#buckets) {
        const nk = Math.floor(k / 2);
        const o = next.get(nk);
        next.set(nk, o ? merge(o, b) : b);
      }
      this.#buckets = next;
    }
  }

  /** The reduced series (at most `target` buckets). */
  result(): ReducedSeries {
    this.#coarsen(this.#target);
    const keys = [...this.#buckets.keys()].sort((a, b) => a - b);
    const data = new Float64Array(keys.length * FIELDS);
    keys.forEach((k, i) => data.set(this.#buckets.get(k)!, i * FIELDS));
    return { summary: this.summary, data, buckets: keys.length, bytes: data.byteLength + 200 };
  }
}

function merge(a: number[], b: number[]): number[] {
  if (a[6] === 0) return b[6] === 0 ? (a[0] <= b[0] ? a : b) : b;
  if (b[6] === 0) return a;
  return [
    a[1] <= b[1] ? a[0] : b[0],
    Math.min(a[1], b[1]),
    a[3] >= b[3] ? a[2] : b[2],
    Math.max(a[3], b[3]),
    a[4] + b[4],
    a[5] + b[5],
    a[6] + b[6],
  ];
}

/**
 * The points to draw of a reduced series, in x order: each bucket's lowest and highest point (one
 * when they coincide), NaN where a bucket held only non-finite values (a gap).
 */
export function envelope(r: ReducedSeries): { xs: number[]; ys: number[] } {
  const xs: number[] = [], ys: number[] = [];
  const d = r.data;
  for (let i = 0; i < r.buckets; i++) {
    const o = i * FIELDS;
    if (d[o + 6] === 0) {
      xs.push(d[o]);
      ys.push(NaN);
      continue;
    }
    const lo = d[o] <= d[o + 2];
    const [ax, ay, bx, by] = lo
      ? [d[o], d[o + 1], d[o + 2], d[o + 3]]
      : [d[o + 2], d[o + 3], d[o], d[o + 1]];
    xs.push(ax);
    ys.push(ay);
    if (bx !== ax || by !== ay) {
      xs.push(bx);
      ys.push(by);
    }
  }
  return { xs, ys };
}

/**
 * Each bucket's mean point, in x order (NaN marks a gap). With `smooth`, an exponential moving
 * average over the buckets whose weight per bucket is `smooth` to the power of its number of
 * points: the same as smoothing every point when each bucket holds one, close to it otherwise.
 */
export function means(r: ReducedSeries, smooth = 0): { xs: number[]; ys: number[] } {
  const xs = new Array<number>(r.buckets), ys = new Array<number>(r.buckets);
  const d = r.data;
  let ema = 0, norm = 0;
  for (let i = 0; i < r.buckets; i++) {
    const o = i * FIELDS, n = d[o + 6];
    if (n === 0) {
      xs[i] = d[o];
      ys[i] = NaN;
      continue;
    }
    xs[i] = d[o + 4] / n;
    const y = d[o + 5] / n;
    if (smooth > 0 && smooth < 1) {
      const w = Math.pow(smooth, n);
      ema = ema * w + (1 - w) * y;
      norm = norm * w + (1 - w);
      ys[i] = ema / norm;
    } else ys[i] = y;
  }
  return { xs, ys };
}
