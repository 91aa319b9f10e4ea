/**
 * Pure chart math: per-pixel min/max downsampling, "nice" ticks, smoothing, number formats, x
 * modes, scales and run colours. No DOM, no Deno.*, no store: numbers in, numbers out.
 * Never spread large arrays into Math.min/max (stack overflow at ~100k points): loop instead.
 */

/** What the x axis shows: the step, the wall-clock time, or seconds since the first point. */
export type XMode = "step" | "time" | "relative";
/** Linear or logarithmic y axis. */
export type YScale = "linear" | "log";

/** A colour-blind-friendly palette (Okabe–Ito plus extras). */
export const PALETTE = [
  "#0072b2",
  "#e69f00",
  "#009e73",
  "#d55e00",
  "#cc79a7",
  "#56b4e9",
  "#8c6d31",
  "#7f7f7f",
  "#b22222",
  "#17becf",
];

/** The colour of the i-th run or group: the palette, then hues spread by the golden angle. */
export function colorAt(i: number): string {
  if (i < PALETTE.length) return PALETTE[i];
  const hue = ((i - PALETTE.length) * 137.508 + 20) % 360;
  return hslHex(hue, 0.62, i % 2 ? 0.42 : 0.5);
}

function hslHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255).toString(16).padStart(2, "0");
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/** Parses the `x` query value. */
export function parseXMode(v: string | undefined): XMode {
  return v === "time" || v === "relative" ? v : "step";
}

/** Parses the `y` query value. */
export function parseYScale(v: string | undefined): YScale {
  return v === "log" ? "log" : "linear";
}

/** Parses the `smooth` query value into [0, 0.99]. */
export function parseSmooth(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 0.99) : 0;
}

/** Exponential moving average with bias correction (TensorBoard's smoothing); NaN passes through. */
export function smooth(ys: number[], weight: number): number[] {
  if (!(weight > 0)) return ys;
  const out = new Array<number>(ys.length);
  let last = 0, n = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    last = last * weight + (1 - weight) * y;
    n++;
    out[i] = last / (1 - Math.pow(weight, n));
  }
  return out;
}

/** Min and max of the finite values (log: of the positive ones); undefined when none. */
export function extent(vals: number[], positiveOnly = false): [number, number] | undefined {
  let lo = Infinity, hi = -Infinity;
  for (const v of vals) {
    if (!Number.isFinite(v) || (positiveOnly && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/**
 * Per-bucket min/max downsampling over `buckets` equal x ranges: keeps each bucket's first, min,
 * max and last point in x order, so the line's envelope is exact at pixel resolution.
 * Non-finite y values are kept as gaps (one NaN per bucket that had any).
 */
export function downsample(
  xs: number[],
  ys: number[],
  buckets: number,
): { xs: number[]; ys: number[] } {
  const n = xs.length;
  if (n <= buckets * 4) return { xs, ys };
  const x0 = xs[0], x1 = xs[n - 1];
  const span = x1 - x0 || 1;
  const ox: number[] = [], oy: number[] = [];
  let i = 0;
  while (i < n) {
    const b = Math.min(buckets - 1, Math.floor(((xs[i] - x0) / span) * buckets));
    let first = -1, last = -1, lo = -1, hi = -1, gap = false;
    for (; i < n && Math.min(buckets - 1, Math.floor(((xs[i] - x0) / span) * buckets)) === b; i++) {
      const y = ys[i];
      if (!Number.isFinite(y)) {
        gap = true;
        continue;
      }
      if (first < 0) first = i;
      last = i;
      if (lo < 0 || y < ys[lo]) lo = i;
      if (hi < 0 || y > ys[hi]) hi = i;
    }
    if (gap && first < 0) {
      ox.push(xs[i - 1]);
      oy.push(NaN);
      continue;
    }
    const keep = [...new Set([first, lo, hi, last])].sort((a, b) => a - b);
    for (const k of keep) {
      ox.push(xs[k]);
      oy.push(ys[k]);
    }
  }
  return { xs: ox, ys: oy };
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9 && out.length <= 50; k++) {
    out.push(Number((k * step).toPrecision(12)));
  }
  return out;
}

/** Powers of ten covering [lo, hi] (both > 0), thinned to about `count`. */
export function logTicks(lo: number, hi: number, count = 5): number[] {
  const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
  const every = Math.max(1, Math.ceil((b - a + 1) / count));
  const out: number[] = [];
  for (let e = a; e <= b; e += every) {
    const v = Math.pow(10, e);
    if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
  }
  return out.length ? out : [lo, hi];
}

/** A compact number: 4 significant digits, exponent form for very small or large values. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e9)) return v.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(6)));
}
