/**
 * Pure chart math for server-side SVG and uPlot data: per-pixel min/max downsampling, "nice"
 * ticks, smoothing, x modes and scales. No DOM, no Deno.*, no store: numbers in, numbers out.
 * Never spread large arrays into Math.min/max (stack overflow at ~100k points): loop instead.
 */
import type { Metric } from "../src/model.ts";

/** What the x axis shows: the step, the wall-clock time, or seconds since the first point. */
export type XMode = "step" | "time" | "relative";
/** Linear or logarithmic y axis. */
export type YScale = "linear" | "log";

/** One line: x and y values in x order, plus its label and colour. */
export interface Series {
  label: string;
  color: string;
  xs: number[];
  ys: number[];
  /** Link for the legend entry. */
  href?: string;
}

/** Chart options shared by SVG rendering and uPlot data. */
export interface ChartOptions {
  width: number;
  height: number;
  x: XMode;
  y: YScale;
  /** Exponential smoothing weight in [0, 1); 0 = none. */
  smooth: number;
}

/** A ready-to-draw chart: pixel polylines, ticks, and the legend. */
export interface ChartModel {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  lines: { color: string; points: string; label: string; href?: string; count: number }[];
  /** Single points drawn as dots (series of one point). */
  dots: { color: string; cx: number; cy: number }[];
  xTicks: { pos: number; label: string }[];
  yTicks: { pos: number; label: string }[];
  empty: boolean;
}

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

/** The palette colour for the i-th series. */
export function colorAt(i: number): string {
  return PALETTE[i % PALETTE.length];
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

/** x and y arrays of a metric history for an x mode, sorted by x (stable). */
export function metricXY(history: Metric[], x: XMode): { xs: number[]; ys: number[] } {
  const n = history.length;
  let t0 = Infinity;
  if (x === "relative") { for (const m of history) if (m.timestamp < t0) t0 = m.timestamp; }
  const pts = new Array<[number, number]>(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const m = history[i];
    const xv = x === "step" ? m.step : x === "time" ? m.timestamp : (m.timestamp - t0) / 1000;
    pts[i] = [xv, m.value];
    if (i > 0 && pts[i - 1][0] > xv) sorted = false;
  }
  if (!sorted) pts.sort((a, b) => a[0] - b[0]);
  const xs = new Array<number>(n), ys = new Array<number>(n);
  for (let i = 0; i < n; i++) [xs[i], ys[i]] = pts[i];
  return { xs, ys };
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

function tickLabel(v: number, x: XMode | "y", span: number): string {
  if (x === "time") {
    const d = new Date(v);
    const iso = d.toISOString();
    return span > 2 * 86400_000 ? iso.slice(5, 10) : iso.slice(11, span > 600_000 ? 16 : 19);
  }
  if (x === "relative") return formatNumber(v) + "s";
  return formatNumber(v);
}

/** Lays out series into a ChartModel (downsampled to the plot width). */
export function buildChart(series: Series[], o: ChartOptions): ChartModel {
  const plot = { left: 56, top: 8, right: o.width - 12, bottom: o.height - 24 };
  const pw = plot.right - plot.left, ph = plot.bottom - plot.top;
  const log = o.y === "log";
  const prepared = series.map((s) => {
    const ys = smooth(s.ys, o.smooth);
    return { s, ...downsample(s.xs, ys, Math.max(1, Math.floor(pw))) };
  });
  let xlo = Infinity, xhi = -Infinity, ylo = Infinity, yhi = -Infinity;
  for (const p of prepared) {
    const ex = extent(p.xs), ey = extent(p.ys, log);
    if (ex) [xlo, xhi] = [Math.min(xlo, ex[0]), Math.max(xhi, ex[1])];
    if (ey) [ylo, yhi] = [Math.min(ylo, ey[0]), Math.max(yhi, ey[1])];
  }
  const empty = !(xlo <= xhi && ylo <= yhi);
  if (empty) {
    return {
      width: o.width,
      height: o.height,
      plot,
      lines: [],
      dots: [],
      xTicks: [],
      yTicks: [],
      empty,
    };
  }
  if (xlo === xhi) [xlo, xhi] = [xlo - 1, xhi + 1];
  if (ylo === yhi) {
    [ylo, yhi] = log
      ? [ylo / 2, yhi * 2]
      : [ylo - (Math.abs(ylo) || 1) * 0.1, yhi + (Math.abs(yhi) || 1) * 0.1];
  }
  const fy = log
    ? (v: number) =>
      plot.bottom - ((Math.log10(v) - Math.log10(ylo)) / (Math.log10(yhi) - Math.log10(ylo))) * ph
    : (v: number) => plot.bottom - ((v - ylo) / (yhi - ylo)) * ph;
  const fx = (v: number) => plot.left + ((v - xlo) / (xhi - xlo)) * pw;
  const r = (v: number) => Math.round(v * 10) / 10;
  const lines: ChartModel["lines"] = [], dots: ChartModel["dots"] = [];
  for (const p of prepared) {
    let seg: string[] = [];
    const flush = () => {
      if (seg.length > 1) {
        lines.push({
          color: p.s.color,
          points: seg.join(" "),
          label: p.s.label,
          href: p.s.href,
          count: p.s.xs.length,
        });
      } else if (seg.length === 1) {
        const [cx, cy] = seg[0].split(",").map(Number);
        dots.push({ color: p.s.color, cx, cy });
      }
      seg = [];
    };
    for (let i = 0; i < p.xs.length; i++) {
      const y = p.ys[i];
      if (!Number.isFinite(y) || (log && y <= 0)) flush();
      else seg.push(`${r(fx(p.xs[i]))},${r(fy(y))}`);
    }
    flush();
  }
  const xt = niceTicks(xlo, xhi, Math.max(2, Math.floor(pw / 90)));
  const yt = log ? logTicks(ylo, yhi) : niceTicks(ylo, yhi, Math.max(2, Math.floor(ph / 40)));
  return {
    width: o.width,
    height: o.height,
    plot,
    lines,
    dots,
    xTicks: xt.map((v) => ({ pos: r(fx(v)), label: tickLabel(v, o.x, xhi - xlo) })),
    yTicks: yt.map((v) => ({ pos: r(fy(v)), label: tickLabel(v, "y", yhi - ylo) })),
    empty,
  };
}

/** uPlot's aligned data for several series: one shared x array, null where a series has no point. */
export function alignedData(series: { xs: number[]; ys: number[] }[]): (number | null)[][] {
  if (series.length === 1) {
    return [series[0].xs, series[0].ys.map((y) => (Number.isFinite(y) ? y : null))];
  }
  const all = new Set<number>();
  for (const s of series) for (const x of s.xs) all.add(x);
  const xs = [...all].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const out: (number | null)[][] = [xs];
  for (const s of series) {
    const col = new Array<number | null>(xs.length).fill(null);
    for (let i = 0; i < s.xs.length; i++) {
      const y = s.ys[i];
      col[index.get(s.xs[i])!] = Number.isFinite(y) ? y : null;
    }
    out.push(col);
  }
  return out;
}
