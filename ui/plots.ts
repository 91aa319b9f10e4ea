/**
 * Pure layout of the compare page's plots: parallel coordinates (params → a metric) and a
 * scatter plot of two columns. A column is numeric when every value present is a finite number,
 * else categorical (its distinct values, sorted, evenly spaced). No DOM, no store, no Deno.*.
 */
import { formatNumber, niceTicks } from "./chart.ts";

/** One column of the compared runs: its name and each run's value (undefined when missing). */
export interface Column {
  label: string;
  values: (string | number | undefined)[];
}

/** A run as the plots label and link it. */
export interface PlotLabel {
  label: string;
  color: string;
  href: string;
}

/** An axis mapped onto [from, to] pixels. */
export interface Axis {
  kind: "num" | "cat";
  /** Pixel position of a value, undefined when missing (or not on the axis). */
  pos(v: string | number | undefined): number | undefined;
  ticks: { pos: number; label: string }[];
}

function asNumber(v: string | number): number {
  return typeof v === "number" ? v : v.trim() === "" ? NaN : Number(v);
}

/** Lays a column's values along [from, to]. */
export function axisFor(values: (string | number | undefined)[], from: number, to: number): Axis {
  const present = values.filter((v): v is string | number => v !== undefined);
  const r = (v: number) => Math.round(v * 10) / 10;
  if (present.length && present.every((v) => Number.isFinite(asNumber(v)))) {
    let lo = Infinity, hi = -Infinity;
    for (const v of present) {
      const n = asNumber(v);
      if (n < lo) lo = n;
      if (n > hi) hi = n;
    }
    if (lo === hi) [lo, hi] = [lo - (Math.abs(lo) || 1) * 0.1, hi + (Math.abs(hi) || 1) * 0.1];
    const at = (n: number) => from + ((n - lo) / (hi - lo)) * (to - from);
    const ticks = niceTicks(lo, hi, 4).map((t) => ({ pos: r(at(t)), label: formatNumber(t) }));
    return {
      kind: "num",
      pos: (v) => (v === undefined ? undefined : r(at(asNumber(v)))),
      ticks,
    };
  }
  const cats = [...new Set(present.map(String))].sort();
  const step = cats.length > 1 ? (to - from) / (cats.length - 1) : 0;
  const index = new Map(
    cats.map((c, i) => [c, cats.length > 1 ? from + i * step : (from + to) / 2]),
  );
  // Label at most ~12 categories so they stay readable.
  const every = Math.max(1, Math.ceil(cats.length / 12));
  return {
    kind: "cat",
    pos: (v) => {
      const p = v === undefined ? undefined : index.get(String(v));
      return p === undefined ? undefined : r(p);
    },
    ticks: cats.filter((_, i) => i % every === 0).map((c) => ({
      pos: r(index.get(c)!),
      label: c.length > 14 ? c.slice(0, 13) + "…" : c,
    })),
  };
}

/** A parallel-coordinates plot ready to draw. */
export interface ParallelModel {
  width: number;
  height: number;
  top: number;
  bottom: number;
  axes: { x: number; label: string; ticks: { pos: number; label: string }[] }[];
  lines: { points: string; color: string; label: string; href: string }[];
}

/**
 * One line per run through the columns' axes, in the run's colour (the same as its charts and
 * table column). A missing value breaks the line there.
 */
export function parallelModel(
  columns: Column[],
  runs: PlotLabel[],
  size = { width: 1000, height: 320 },
): ParallelModel {
  const top = 30, bottom = size.height - 24, left = 90, right = size.width - 90;
  const gap = columns.length > 1 ? (right - left) / (columns.length - 1) : 0;
  const axes = columns.map((c, i) => ({
    x: Math.round(columns.length > 1 ? left + i * gap : (left + right) / 2),
    label: c.label,
    // Higher values up: the axis runs from bottom to top.
    axis: axisFor(c.values, bottom, top),
  }));
  const lines: ParallelModel["lines"] = [];
  runs.forEach((run, r) => {
    const color = run.color;
    let seg: string[] = [];
    const flush = () => {
      if (seg.length > 1) {
        lines.push({ points: seg.join(" "), color, label: run.label, href: run.href });
      }
      seg = [];
    };
    columns.forEach((c, i) => {
      const y = axes[i].axis.pos(c.values[r]);
      if (y === undefined) flush();
      else seg.push(`${axes[i].x},${y}`);
    });
    flush();
  });
  return {
    width: size.width,
    height: size.height,
    top,
    bottom,
    axes: axes.map((a) => ({ x: a.x, label: a.label, ticks: a.axis.ticks })),
    lines,
  };
}

/** A scatter plot ready to draw. */
export interface ScatterModel {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  xLabel: string;
  yLabel: string;
  xTicks: { pos: number; label: string }[];
  yTicks: { pos: number; label: string }[];
  points: { cx: number; cy: number; color: string; label: string; href: string; title: string }[];
}

/** One dot per run that has both values. */
export function scatterModel(
  x: Column,
  y: Column,
  runs: PlotLabel[],
  size = { width: 1000, height: 400 },
): ScatterModel {
  const plot = { left: 76, top: 12, right: size.width - 16, bottom: size.height - 40 };
  const ax = axisFor(x.values, plot.left + 8, plot.right - 8);
  const ay = axisFor(y.values, plot.bottom - 8, plot.top + 8);
  const points: ScatterModel["points"] = [];
  runs.forEach((run, i) => {
    const cx = ax.pos(x.values[i]), cy = ay.pos(y.values[i]);
    if (cx === undefined || cy === undefined) return;
    const title = `${run.label}: ${x.label} = ${x.values[i]}, ${y.label} = ${y.values[i]}`;
    points.push({ cx, cy, color: run.color, label: run.label, href: run.href, title });
  });
  return {
    width: size.width,
    height: size.height,
    plot,
    xLabel: x.label,
    yLabel: y.label,
    xTicks: ax.ticks,
    yTicks: ay.ticks,
    points,
  };
}
