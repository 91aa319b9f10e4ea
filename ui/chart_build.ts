/**
 * Builds metric charts from the store (part of the UI's data layer, as data.ts): reads each run's
 * history page by page into a per-pixel reduction, through the series cache for multi-run views,
 * aggregates groups per pixel column, lays the chart out, and draws dense run lines on the server.
 */
import type { Run } from "../src/model.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { ColumnAggregator, columns } from "./aggregate.ts";
import { colorAt, type XMode } from "./chart.ts";
import { type BandInput, layoutChart, type LineInput } from "./chart_model.ts";
import { rasterLines } from "./chart_raster.ts";
import {
  envelope,
  means,
  type ReducedSeries,
  SeriesReducer,
  type SeriesSummary,
} from "./chart_reduce.ts";
import type { LegendItem, SvgChartProps } from "./components/chart.tsx";
import type { ChartView } from "./components/chart_controls.tsx";
import type { Grouping, RunGroup } from "./grouping.ts";
import type { SeriesCache, SizedCache } from "./series_cache.ts";

/** Points per getMetricHistory page when charts read a history. */
export const HISTORY_PAGE = 25_000;

/** What charts read from, and drawn charts kept for the same inputs. */
export interface ChartSource {
  store: TrackingStore;
  cache: SeriesCache;
  charts?: SizedCache<{ built: BuiltChart; bytes: number }>;
}

/** A run as a chart draws it. */
export interface PlotRun {
  run: Run;
  label: string;
  color: string;
  href: string;
}

/** One chart to build. */
export interface ChartSpec {
  keys: string[];
  runs: PlotRun[];
  view: ChartView;
  size: { width: number; height: number };
  title: string;
  href?: string;
  frag?: string;
  csv?: string;
  /** Zoomed x range. */
  range?: [number, number];
  /** Groups of `runs` (colour grouping) and how to aggregate them. */
  groups?: { list: RunGroup[]; grouping: Grouping };
  /** Read through the series cache (multi-run views); else exact, at the plot's full width. */
  cached: boolean;
}

/** A built chart and each run's summary of the first key (undefined when it has none). */
export interface BuiltChart {
  chart: SvgChartProps;
  summaries: (SeriesSummary | undefined)[];
}

/** Feeds every page of one metric's history to a reducer (no page is kept). */
export async function reduceHistory(
  store: TrackingStore,
  runId: string,
  key: string,
  reducer: SeriesReducer,
): Promise<void> {
  let pageToken: string | undefined;
  do {
    const page = await store.getMetricHistory(runId, key, { maxResults: HISTORY_PAGE, pageToken });
    reducer.add(page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
}

/** Runs `fn` over items with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (t: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Width of a chart's plot area in pixels (layoutChart's margins). */
export function plotWidth(size: { width: number }): number {
  return Math.max(1, size.width - 68);
}

/** One run's reduced series of a metric, or undefined when the run has no such metric. */
export async function runSeries(
  src: ChartSource,
  run: Run,
  key: string,
  o: { x: XMode; target: number; smooth?: number; range?: [number, number]; cached: boolean },
): Promise<ReducedSeries | undefined> {
  const latest = run.data.metrics.find((m) => m.key === key);
  if (!latest) return undefined;
  const read = async (smooth: number) => {
    const red = new SeriesReducer({ target: o.target, x: o.x, smooth, range: o.range });
    await reduceHistory(src.store, run.info.runId, key, red);
    return red.result();
  };
  if (!o.cached || o.range) return await read(o.smooth ?? 0);
  const id = `${run.info.runId}\u0000${key}\u0000${o.x}\u0000${o.target}`;
  return await src.cache.get(
    id,
    `${latest.step}:${latest.timestamp}:${latest.value}`,
    () => read(0),
  );
}

function drawn(r: ReducedSeries, cached: boolean, smooth: number) {
  // Cached series are unsmoothed: smooth their bucket means. Exact ones were smoothed per point.
  return cached && smooth > 0 ? means(r, smooth) : envelope(r);
}

// Everything a multi-run chart is drawn from: the same signature draws the same chart.
function chartSig(spec: ChartSpec): string {
  const latest = (r: Run, key: string) => {
    const m = r.data.metrics.find((x) => x.key === key);
    return m ? `${m.step}:${m.timestamp}:${m.value}` : "";
  };
  return JSON.stringify([
    spec.keys,
    spec.view,
    spec.size,
    spec.title,
    spec.href,
    spec.frag,
    spec.csv,
    spec.runs.map((
      r,
    ) => [r.run.info.runId, r.label, r.color, r.href, spec.keys.map((k) => latest(r.run, k))]),
    spec.groups && [
      spec.groups.grouping,
      spec.groups.list.map((g) => [g.key, g.label, g.color, g.runs.map((r) => r.info.runId)]),
    ],
  ]);
}

/**
 * Builds one chart; see the module comment. Multi-run charts (not zoomed) are kept in
 * `src.charts` under everything they were drawn from, so showing one again costs nothing.
 */
export function buildChart(src: ChartSource, spec: ChartSpec): Promise<BuiltChart> {
  if (!src.charts || !spec.cached || spec.range) return drawChart(src, spec);
  return src.charts.get(chartSig(spec), "", async () => {
    const built = await drawChart(src, spec);
    let bytes = (built.chart.raster?.length ?? 0) * 2 + 1000;
    for (const l of built.chart.model.lines) {
      bytes += l.px.byteLength + (l.xs.length + l.ys.length) * 8 + 100;
    }
    return { built, bytes };
  }).then((x) => x.built);
}

async function drawChart(src: ChartSource, spec: ChartSpec): Promise<BuiltChart> {
  const { view, cached } = spec;
  const pw = plotWidth(spec.size);
  const target = cached ? Math.ceil(pw / 2.5) : pw;
  const multi = spec.keys.length > 1;
  const pairs = spec.runs.flatMap((r) => spec.keys.map((key) => ({ r, key })));
  const series = await mapLimit(
    pairs,
    8,
    ({ r, key }) =>
      runSeries(src, r.run, key, {
        x: view.x,
        target,
        smooth: view.smooth,
        range: spec.range,
        cached,
      }),
  );
  let points = 0;
  for (const s of series) points += s?.summary.count ?? 0;
  const lines: LineInput[] = [], bands: BandInput[] = [];
  // Several metrics: one run's lines take a colour per metric, several runs' one per line.
  const colorOf = (i: number, r: PlotRun, key: string) =>
    !multi ? r.color : spec.runs.length === 1 ? colorAt(spec.keys.indexOf(key)) : colorAt(i);
  const labelOf = (r: PlotRun, key: string) =>
    multi ? (spec.runs.length > 1 ? `${r.label} · ${key}` : key) : r.label;
  const groups = spec.groups;
  if (!groups?.grouping.group) {
    pairs.forEach(({ r, key }, i) => {
      const s = series[i];
      if (!s?.summary.count) return;
      lines.push({
        label: labelOf(r, key),
        color: colorOf(i, r, key),
        href: r.href,
        ...drawn(s, cached, view.smooth),
      });
    });
  } else {
    aggregateGroups(spec, pairs, series, lines, bands, pw);
  }
  const model = layoutChart({
    width: spec.size.width,
    height: spec.size.height,
    x: view.x,
    y: view.y,
    lines,
    bands,
    range: spec.range,
  });
  // A group none of whose runs has this metric stays out of this chart's legend.
  const withData = new Set(
    pairs.filter((_, i) => series[i]?.summary.count).map((p) => p.r.run.info.runId),
  );
  const legend = legendOf(spec, lines, withData);
  const first = spec.keys[0];
  // pairs go run by run, key by key: run i's first key is pair i × keys.
  const summaries = spec.runs.map((_, i) => series[i * spec.keys.length]?.summary);
  const only = spec.runs.length === 1 && !multi ? summaries[0] : undefined;
  return {
    chart: {
      model,
      title: spec.title,
      href: spec.href,
      metricKey: first,
      points,
      legend,
      xMode: view.x,
      log: view.y === "log",
      raster: model.dense ? await rasterLines(model) : undefined,
      frag: spec.frag,
      csv: spec.csv,
      zoomed: spec.range !== undefined,
      extremes: only?.count && Number.isFinite(only.min)
        ? { min: only.min, max: only.max, minStep: only.minStep, maxStep: only.maxStep }
        : undefined,
    },
    summaries,
  };
}

function legendOf(
  spec: ChartSpec,
  lines: LineInput[],
  withData: Set<string>,
): LegendItem[] | undefined {
  if (spec.groups?.grouping.group) {
    const shown = spec.groups.list.filter((g) => g.runs.some((r) => withData.has(r.info.runId)));
    return shown.map((g) => ({ label: `${g.label} (${g.runs.length})`, color: g.color }));
  }
  if (lines.length < 2 || lines.length > 12) return undefined;
  return lines.map((l) => ({ label: l.label, color: l.color, href: l.href }));
}

// Each group as its mean (or median) line and band over pixel columns; expanded groups also
// show their runs, in the group's colour.
function aggregateGroups(
  spec: ChartSpec,
  pairs: { r: PlotRun; key: string }[],
  series: (ReducedSeries | undefined)[],
  lines: LineInput[],
  bands: BandInput[],
  pw: number,
): void {
  const { list, grouping } = spec.groups!;
  const smooth = spec.view.smooth;
  const index = new Map(pairs.map((p, i) => [p.r.run.info.runId + "\u0000" + p.key, i]));
  let lo = Infinity, hi = -Infinity;
  const pts = series.map((s) => {
    if (!s?.summary.count) return undefined;
    const d = spec.cached ? means(s, smooth) : envelope(s);
    for (const x of d.xs) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    return d;
  });
  if (spec.range) [lo, hi] = spec.range;
  if (!(lo <= hi)) return;
  const cols = columns(lo, hi, Math.max(1, Math.floor(pw / 2)));
  const expanded = new Set(grouping.expand);
  for (const key of spec.keys) {
    for (const g of list) {
      const agg = new ColumnAggregator(cols, grouping.agg, grouping.band);
      for (const r of g.runs) {
        const i = index.get(r.info.runId + "\u0000" + key);
        const d = i === undefined ? undefined : pts[i];
        if (!d) continue;
        agg.add(d.xs, d.ys);
        if (expanded.has(g.key)) {
          const pr = pairs[i!].r;
          lines.push({ label: pr.label, color: g.color, href: pr.href, ...d });
        }
      }
      const a = agg.result();
      if (!a.runs) continue;
      const label = `${g.label}${spec.keys.length > 1 ? ` · ${key}` : ""}`;
      const what = `${grouping.agg} of ${a.runs} run${a.runs === 1 ? "" : "s"}`;
      if (grouping.band !== "none" && a.runs > 1) {
        bands.push({
          label: `${label}: ${grouping.band === "std" ? "±1 std" : "min–max"}`,
          color: g.color,
          xs: a.xs,
          lo: a.lo,
          hi: a.hi,
        });
      }
      lines.push({
        label: `${label} (${what})`,
        color: g.color,
        xs: a.xs,
        ys: a.mid,
        strong: true,
      });
    }
  }
}
