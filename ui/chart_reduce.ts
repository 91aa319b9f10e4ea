/**
 * Streaming per-pixel reduction of a metric history: points arrive page by page and fold into at
 * most ~2 × `target` x buckets, each keeping its first, lowest, highest and last point, so a chart
 * of any length is drawn from a few thousand points and the history is never held whole. Also
 * counts points and tracks min/max for the metrics table. Pure: numbers in, numbers out.
 */
import type { Metric } from "../src/model.ts";
import type { XMode } from "./chart.ts";

interface Bucket {
  // first (lowest x), last (highest x), lowest y, highest y: [x, y] pairs
  fx: number;
  fy: number;
  lx: number;
  ly: number;
  nx: number;
  ny: number;
  hx: number;
  hy: number;
  /** Some point here had a non-finite value. */
  gap: boolean;
  /** Some point here had a finite value. */
  any: boolean;
}

/** Folds metric points into x buckets; see the module comment. */
export class PointReducer {
  readonly #target: number;
  readonly #x: XMode;
  readonly #weight: number;
  #width = 0;
  #buckets = new Map<number, Bucket>();
  #ema = 0;
  #emaN = 0;
  #t0 = Infinity;
  /** Points seen. */
  count = 0;
  /** Lowest and highest finite raw value (NaN when none). */
  min = NaN;
  max = NaN;
  /** The latest point by (step, timestamp), as MLflow picks it. */
  latest: Metric | undefined;

  /** `target`: buckets wanted (the plot's width in pixels); `smooth`: EMA weight in [0, 1). */
  constructor(target: number, x: XMode, smooth = 0) {
    this.#target = Math.max(1, Math.floor(target));
    this.#x = x;
    this.#weight = smooth > 0 && smooth < 1 ? smooth : 0;
  }

  /** Adds one page of points (in logging order). */
  add(points: Metric[]): void {
    if (points.length === 0) return;
    if (this.#width === 0) this.#width = this.#startWidth(points);
    for (const m of points) {
      this.count++;
      const v = m.value;
      if (Number.isFinite(v)) {
        if (!(v >= this.min)) this.min = v;
        if (!(v <= this.max)) this.max = v;
      }
      const l = this.latest;
      if (!l || m.step > l.step || (m.step === l.step && m.timestamp >= l.timestamp)) {
        this.latest = m;
      }
      if (m.timestamp < this.#t0) this.#t0 = m.timestamp;
      const x = this.#x === "step" ? m.step : m.timestamp;
      this.#put(x, this.#smooth(v));
    }
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
      const x = this.#x === "step" ? m.step : m.timestamp;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    const span = hi - lo;
    return span > 0 ? Math.pow(2, Math.floor(Math.log2(span / this.#target))) : 1;
  }

  #put(x: number, y: number): void {
    const k = Math.floor(x / this.#width);
    let b = this.#buckets.get(k);
    if (!b) {
      b = { fx: x, fy: y, lx: x, ly: y, nx: x, ny: y, hx: x, hy: y, gap: false, any: false };
      this.#buckets.set(k, b);
      if (!Number.isFinite(y)) {
        b.gap = true;
      } else b.any = true;
      if (this.#buckets.size > 2 * this.#target) this.#coarsen();
      return;
    }
    if (!Number.isFinite(y)) {
      b.gap = true;
      return;
    }
    if (!b.any) {
      b.fx =
        b.lx =
        b.nx =
        b.hx =
          x;
      b.fy =
        b.ly =
        b.ny =
        b.hy =
          y;
      b.any = true;
      return;
    }
    if (x < b.fx) [b.fx, b.fy] = [x, y];
    if (x >= b.lx) [b.lx, b.ly] = [x, y];
    if (y < b.ny) [b.nx, b.ny] = [x, y];
    if (y > b.hy) [b.hx, b.hy] = [x, y];
  }

  // Doubles the bucket width (merging neighbours) until at most `target` buckets remain.
  #coarsen(): void {
    while (this.#buckets.size > this.#target) {
      this.#width *= 2;
      const next = new Map<number, Bucket>();
      for (const [k, b] of this.#buckets) {
        const nk = Math.floor(k / 2);
        const o = next.get(nk);
        next.set(nk, o ? merge(o, b) : b);
      }
      this.#buckets = next;
    }
  }

  /** The reduced series, sorted by x (relative x: seconds since the first point). */
  result(): { xs: number[]; ys: number[] } {
    const keys = [...this.#buckets.keys()].sort((a, b) => a - b);
    const xs: number[] = [], ys: number[] = [];
    const shift = this.#x === "relative" ? this.#t0 : 0;
    const scale = this.#x === "relative" ? 1000 : 1;
    for (const k of keys) {
      const b = this.#buckets.get(k)!;
      if (!b.any) {
        xs.push((b.fx - shift) / scale);
        ys.push(NaN);
        continue;
      }
      const pts: [number, number][] = [[b.fx, b.fy], [b.nx, b.ny], [b.hx, b.hy], [b.lx, b.ly]];
      pts.sort((p, q) => p[0] - q[0]);
      let px = NaN, py = NaN;
      for (const [x, y] of pts) {
        if (x === px && y === py) continue;
        [px, py] = [x, y];
        xs.push((x - shift) / scale);
        ys.push(y);
      }
    }
    return { xs, ys };
  }
}

function merge(a: Bucket, b: Bucket): Bucket {
  if (!a.any) return { ...b, gap: a.gap || b.gap };
  if (!b.any) return { ...a, gap: a.gap || b.gap };
  return {
    fx: a.fx <= b.fx ? a.fx : b.fx,
    fy: a.fx <= b.fx ? a.fy : b.fy,
    lx: a.lx >= b.lx ? a.lx : b.lx,
    ly: a.lx >= b.lx ? a.ly : b.ly,
    nx: a.ny <= b.ny ? a.nx : b.nx,
    ny: a.ny <= b.ny ? a.ny : b.ny,
    hx: a.hy >= b.hy ? a.hx : b.hx,
    hy: a.hy >= b.hy ? a.hy : b.hy,
    gap: a.gap || b.gap,
    any: true,
  };
}
