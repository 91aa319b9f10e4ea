/**
 * Lays series out on a chart (pure): the x and y domains, ticks, and every line, dot and band in
 * pixel coordinates. Lines stay SVG polylines while there are few; past DENSE_POINTS the lines
 * become one server-drawn image (chart_raster.ts) and only bands and means stay vector.
 */
import { downsample, formatNumber, logTicks, niceTicks, type XMode, type YScale } from "./chart.ts";

/** One line to draw: a run, or a group's mean or median. */
export interface LineInput {
  label: string;
  color: string;
  href?: string;
  xs: number[];
  ys: number[];
  /** A group's aggregate: drawn thicker, never rasterised. */
  strong?: boolean;
}

/** A group's spread: lo and hi at each x (NaN breaks the band). */
export interface BandInput {
  label: string;
  color: string;
  xs: number[];
  lo: number[];
  hi: number[];
}

/** What to lay out. */
export interface ChartInput {
  width: number;
  height: number;
  x: XMode;
  y: YScale;
  lines: LineInput[];
  bands?: BandInput[];
  /** Zoom: the x domain to show. */
  range?: [number, number];
}

/** A laid-out line: pixel coordinates as x,y pairs (NaN pairs break it). */
export interface ModelLine {
  label: string;
  color: string;
  href?: string;
  strong: boolean;
  /** x0, y0, x1, y1, …; a NaN pair starts a new segment. */
  px: Float32Array;
  /** The data values of each pixel pair (for hover); empty for a dense chart's run lines. */
  xs: number[];
  ys: number[];
}

/** A ready-to-draw chart. */
export interface ChartModel {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  lines: ModelLine[];
  bands: { label: string; color: string; d: string }[];
  /** Lines past the vector budget: drawn as an image (chart_raster.ts), hovered from `lines`. */
  dense: boolean;
  xTicks: { pos: number; label: string }[];
  yTicks: { pos: number; label: string }[];
  xDomain: [number, number];
  yDomain: [number, number];
  xTitle: string;
  empty: boolean;
}

/** Past this many drawn points (or 60 lines), run lines become an image. */
export const DENSE_POINTS = 40_000;
const DENSE_LINES = 60;

/** The x axis's name for a mode. */
export function xTitle(x: XMode): string {
  return x === "step" ? "Step" : x === "time" ? "Wall time (UTC)" : "Relative time (s)";
}

function tickLabel(v: number, x: XMode | "y", span: number): string {
  if (x === "time") {
    const iso = new Date(v).toISOString();
    return span > 2 * 86400_000 ? iso.slice(5, 10) : iso.slice(11, span > 600_000 ? 16 : 19);
  }
  if (x === "relative") return formatNumber(v) + "s";
  return formatNumber(v);
}

function domains(input: ChartInput, log: boolean) {
  let xlo = Infinity, xhi = -Infinity, ylo = Infinity, yhi = -Infinity;
  const inX = (x: number) => !input.range || (x >= input.range[0] && x <= input.range[1]);
  const take = (xs: number[], ys: number[]) => {
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i], y = ys[i];
      if (!Number.isFinite(y) || (log && y <= 0) || !inX(x)) continue;
      if (x < xlo) xlo = x;
      if (x > xhi) xhi = x;
      if (y < ylo) ylo = y;
      if (y > yhi) yhi = y;
    }
  };
  for (const l of input.lines) take(l.xs, l.ys);
  for (const b of input.bands ?? []) {
    take(b.xs, b.lo);
    take(b.xs, b.hi);
  }
  if (input.range) [xlo, xhi] = input.range;
  return { xlo, xhi, ylo, yhi };
}

/** Lays out lines and bands; see the module comment. */
export function layoutChart(input: ChartInput): ChartModel {
  const { width, height } = input;
  const plot = { left: 56, top: 8, right: width - 12, bottom: height - 34 };
  const pw = Math.max(1, plot.right - plot.left), ph = Math.max(1, plot.bottom - plot.top);
  const log = input.y === "log";
  let { xlo, xhi, ylo, yhi } = domains(input, log);
  const base = {
    width,
    height,
    plot,
    lines: [],
    bands: [],
    dense: false,
    xTitle: xTitle(input.x),
  };
  if (!(xlo <= xhi && ylo <= yhi)) {
    return {
      ...base,
      xTicks: [],
      yTicks: [],
      xDomain: [0, 1],
      yDomain: [0, 1],
      empty: true,
    };
  }
  // A single x or y value gets room around it, so one point sits inside the plot.
  if (xlo === xhi) [xlo, xhi] = [xlo - 1, xhi + 1];
  if (ylo === yhi) {
    [ylo, yhi] = log
      ? [ylo / 2, yhi * 2]
      : [ylo - (Math.abs(ylo) || 1) * 0.1, yhi + (Math.abs(yhi) || 1) * 0.1];
  }
  const [lly, lhy] = [Math.log10(ylo), Math.log10(yhi)];
  const fy = log
    ? (v: number) => plot.bottom - ((Math.log10(v) - lly) / (lhy - lly)) * ph
    : (v: number) => plot.bottom - ((v - ylo) / (yhi - ylo)) * ph;
  const fx = (v: number) => plot.left + ((v - xlo) / (xhi - xlo)) * pw;
  const r = (v: number) => Math.round(v * 10) / 10;
  const inX = (x: number) => x >= xlo && x <= xhi;
  let total = 0, runLines = 0;
  const lines: ModelLine[] = input.lines.map((l) => {
    const d = downsample(l.xs, l.ys, Math.floor(pw));
    const px: number[] = [], xs: number[] = [], ys: number[] = [];
    let open = false;
    for (let i = 0; i < d.xs.length; i++) {
      const x = d.xs[i], y = d.ys[i];
      if (!inX(x)) continue;
      if (!Number.isFinite(y) || (log && y <= 0)) {
        if (open) px.push(NaN, NaN), xs.push(NaN), ys.push(NaN);
        open = false;
        continue;
      }
      px.push(r(fx(x)), r(fy(y)));
      xs.push(x);
      ys.push(y);
      open = true;
    }
    if (!l.strong) {
      total += xs.length;
      runLines++;
    }
    return {
      label: l.label,
      color: l.color,
      href: l.href,
      strong: !!l.strong,
      px: Float32Array.from(px),
      xs,
      ys,
    };
  });
  const dense = runLines > DENSE_LINES || total > DENSE_POINTS;
  // A dense chart's run lines are hovered by their pixels: their values need not be kept.
  if (dense) { for (const l of lines) if (!l.strong) [l.xs, l.ys] = [[], []]; }
  const bands = (input.bands ?? []).map((b) => ({
    label: b.label,
    color: b.color,
    d: bandPath(b, (x) => (inX(x) ? r(fx(x)) : NaN), (y) => {
      if (!Number.isFinite(y) || (log && y <= 0)) return NaN;
      return r(Math.min(plot.bottom, Math.max(plot.top, fy(y))));
    }),
  }));
  const xAll = niceTicks(xlo, xhi, Math.max(2, Math.floor(pw / 90)));
  // Steps are whole numbers: a short step axis (one point at step 5: 4 to 6) reads 4, 5, 6.
  const whole = input.x === "step" ? xAll.filter(Number.isInteger) : xAll;
  const xt = whole.length >= 2 ? whole : xAll;
  const yt = log ? logTicks(ylo, yhi) : niceTicks(ylo, yhi, Math.max(2, Math.floor(ph / 40)));
  return {
    ...base,
    lines,
    bands,
    dense,
    xTicks: xt.map((v) => ({ pos: r(fx(v)), label: tickLabel(v, input.x, xhi - xlo) })),
    yTicks: yt.map((v) => ({ pos: r(fy(v)), label: tickLabel(v, "y", yhi - ylo) })),
    xDomain: [xlo, xhi],
    yDomain: [ylo, yhi],
    empty: false,
  };
}

// An SVG path of closed polygons: along hi left to right, back along lo; gaps split it.
function bandPath(
  b: BandInput,
  fx: (x: number) => number,
  fy: (y: number) => number,
): string {
  const parts: string[] = [];
  let top: string[] = [], bottom: string[] = [];
  const flush = () => {
    if (top.length > 1) parts.push(`M${top.join("L")}L${bottom.reverse().join("L")}Z`);
    top = [];
    bottom = [];
  };
  for (let i = 0; i < b.xs.length; i++) {
    const x = fx(b.xs[i]), lo = fy(b.lo[i]), hi = fy(b.hi[i]);
    if (!Number.isFinite(x) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
      flush();
      continue;
    }
    top.push(`${x},${hi}`);
    bottom.push(`${x},${lo}`);
  }
  flush();
  return parts.join("");
}

/** The polyline segments of a line as SVG `points` strings; single points come back as dots. */
export function segments(px: ArrayLike<number>): { lines: string[]; dots: [number, number][] } {
  const lines: string[] = [], dots: [number, number][] = [];
  let seg: string[] = [];
  let last: [number, number] = [0, 0];
  const flush = () => {
    if (seg.length > 1) lines.push(seg.join(" "));
    else if (seg.length === 1) dots.push(last);
    seg = [];
  };
  for (let i = 0; i < px.length; i += 2) {
    if (Number.isNaN(px[i])) flush();
    else {
      last = [px[i], px[i + 1]];
      seg.push(`${px[i]},${px[i + 1]}`);
    }
  }
  flush();
  return { lines, dots };
}
