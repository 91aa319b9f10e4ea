/**
 * The UI's data layer (part of app.ts's job, split out for size): loads page data through
 * TrackingStore and shapes it into page props. The only UI module besides app.ts and live.ts
 * that calls the store; it never imports a store implementation or touches Deno.*.
 */
import { MltError, notFound } from "../src/errors.ts";
import type { Experiment, Run, ViewType } from "../src/model.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { validateExperimentId, validateRunId } from "../src/validate.ts";
import { buildChart, type ChartOptions, colorAt, downsample, type Series } from "./chart.ts";
import { PointReducer } from "./chart_reduce.ts";
import {
  type Column,
  type ParallelModel,
  parallelModel,
  type PlotRun,
  type ScatterModel,
  scatterModel,
} from "./plots.ts";
import type { SvgChartProps } from "./components/chart.tsx";
import type { ChartView } from "./components/chart_controls.tsx";
import type { MetricSummary } from "./components/metrics.tsx";
import { runLabel } from "./format.ts";
import type { Urls } from "./urls.ts";

/** Width and height of the small charts on run and compare pages. */
export const SMALL = { width: 460, height: 200 };
/** Width and height of the metric page's chart. */
export const LARGE = { width: 1000, height: 420 };

/** An id from a URL, or a 404 (a malformed id cannot name anything). */
export function checkRunId(id: string): string {
  try {
    return validateRunId(id);
  } catch {
    throw notFound(`Run "${id}" does not exist`);
  }
}

/** An experiment id from a URL, or a 404. */
export function checkExperimentId(id: string): string {
  try {
    return validateExperimentId(id);
  } catch {
    throw notFound(`Experiment "${id}" does not exist`);
  }
}

/** Every experiment of a view, name-sorted (paged through the store; capped at 10,000). */
export async function allExperiments(
  store: TrackingStore,
  viewType: ViewType = "ACTIVE_ONLY",
): Promise<Experiment[]> {
  const out: Experiment[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchExperiments({
      viewType,
      maxResults: 1000,
      orderBy: ["name ASC"],
      pageToken,
    });
    out.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken && out.length < 10_000);
  return out;
}

/** Points per getMetricHistory page when charts read a history. */
export const HISTORY_PAGE = 25_000;

/** Feeds every page of one metric's history to a reducer (no page is kept). */
export async function reduceHistory(
  store: TrackingStore,
  runId: string,
  key: string,
  reducer: PointReducer,
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

/** Loads runs by id, in order; missing ones raise a 404 naming the id. */
export async function loadRuns(store: TrackingStore, ids: string[]): Promise<Run[]> {
  return await mapLimit(ids, 8, (id) => store.getRun(checkRunId(id)));
}

/** Chart options from a view and a size. */
export function chartOptions(
  view: ChartView,
  size: { width: number; height: number },
): ChartOptions {
  return { ...size, x: view.x, y: view.y, smooth: view.smooth };
}

/** One metric of several runs as a chart (props for SvgChart) plus per-run summaries. */
export async function metricChart(
  store: TrackingStore,
  u: Urls,
  key: string,
  runs: Run[],
  view: ChartView,
  size: { width: number; height: number },
): Promise<{ chart: SvgChartProps; summaries: (MetricSummary | undefined)[] }> {
  const reduced = await mapLimit(runs, 8, async (r) => {
    if (!r.data.metrics.some((m) => m.key === key)) return undefined;
    const red = new PointReducer(plotWidth(size), view.x, view.smooth);
    await reduceHistory(store, r.info.runId, key, red);
    return red;
  });
  const series: Series[] = [];
  const summaries: (MetricSummary | undefined)[] = [];
  let points = 0;
  runs.forEach((r, i) => {
    const red = reduced[i];
    if (!red?.count) return summaries.push(undefined);
    points += red.count;
    summaries.push({
      key,
      latest: r.data.metrics.find((m) => m.key === key) ?? red.latest!,
      min: red.min,
      max: red.max,
      count: red.count,
    });
    series.push({
      label: runLabel(r),
      color: colorAt(i),
      href: u.run(r.info.experimentId, r.info.runId),
      ...red.result(),
    });
  });
  const ids = runs.map((r) => r.info.runId);
  const q = viewQuery(view);
  return {
    chart: {
      // Smoothing happened while reducing, over every point.
      model: buildChart(series, { ...chartOptions(view, size), smooth: 0 }),
      title: key,
      href: u.metric(key, ids, q),
      metricKey: key,
      dataSrc: u.chartData(key, ids, q),
      points,
      legend: runs.length > 1
        ? runs.map((r, i) => ({
          label: runLabel(r),
          color: colorAt(i),
          href: u.run(r.info.experimentId, r.info.runId),
        }))
        : undefined,
      log: view.y === "log",
      time: view.x === "time",
    },
    summaries,
  };
}

/** A view as query pairs for links (defaults left out). */
export function viewQuery(view: ChartView): Record<string, string | undefined> {
  return {
    x: view.x === "step" ? undefined : view.x,
    y: view.y === "linear" ? undefined : view.y,
    smooth: view.smooth ? String(view.smooth) : undefined,
  };
}

// Width of a chart's plot area in pixels (buildChart's margins).
function plotWidth(size: { width: number }): number {
  return Math.max(1, size.width - 68);
}

/** Server-rendered charts of a page: the rest become placeholders loaded when scrolled to. */
export interface ChartBudget {
  /** Raw points to read for server-side charts before the rest are deferred. */
  points: number;
  /** Charts always rendered, whatever their size. */
  min: number;
}

/** The default: about a screenful of long charts, a few hundred ms of reading on a slow machine. */
export const CHART_BUDGET: ChartBudget = { points: 600_000, min: 4 };

/**
 * Charts of many metrics: the first `budget.min` are rendered, then more while the point budget
 * lasts (4 at a time, in key order); the rest come back as `lazy` (their key only).
 */
export async function budgetedCharts(
  keys: string[],
  budget: ChartBudget,
  render: (
    key: string,
  ) => Promise<{ chart: SvgChartProps; summaries: (MetricSummary | undefined)[] }>,
): Promise<
  ({ chart: SvgChartProps; summaries: (MetricSummary | undefined)[] } | { lazy: string })[]
> {
  const head = await mapLimit(keys.slice(0, budget.min), 4, render);
  let used = 0;
  for (const h of head) used += h.chart.points;
  const tail = await mapLimit(keys.slice(budget.min), 4, async (key) => {
    if (used >= budget.points) return { lazy: key };
    const out = await render(key);
    used += out.chart.points;
    return out;
  });
  return [...head, ...tail];
}

/** uPlot data for one metric of several runs, reduced to about `buckets` x buckets. */
export async function chartData(
  store: TrackingStore,
  key: string,
  runs: Run[],
  view: ChartView,
  buckets = 2000,
): Promise<{ labels: string[]; colors: string[]; series: { xs: number[]; ys: number[] }[] }> {
  const series = await mapLimit(runs, 8, async (r) => {
    const red = new PointReducer(buckets, view.x, view.smooth);
    await reduceHistory(store, r.info.runId, key, red);
    const { xs, ys } = red.result();
    return downsample(xs, ys, buckets);
  });
  return { labels: runs.map(runLabel), colors: runs.map((_, i) => colorAt(i)), series };
}

/** A run's value of a column id (`params.k`, `metrics.k` latest, `tags.k`). */
export function columnValue(run: Run, col: string): string | number | undefined {
  const dot = col.indexOf(".");
  const kind = col.slice(0, dot), key = col.slice(dot + 1);
  const list = kind === "metrics"
    ? run.data.metrics
    : kind === "params"
    ? run.data.params
    : kind === "tags"
    ? run.data.tags
    : [];
  return (list as { key: string; value: string | number }[]).find((x) => x.key === key)?.value;
}

/**
 * The compare page's plots from its URL state: `pm` (the metric of the parallel plot's last
 * axis), `pp` (its params; default: those that differ, up to 8), `sx`/`sy` (scatter columns;
 * default: the first differing param against `pm`).
 */
export function comparePlots(
  u: Urls,
  runs: Run[],
  q: { pm?: string; pp?: string[]; sx?: string; sy?: string },
): {
  columns: string[];
  parallel: { metric?: string; params: string[]; model?: ParallelModel };
  scatter: { x?: string; y?: string; model?: ScatterModel };
} {
  const keys = (pick: (r: Run) => { key: string }[]) =>
    [...new Set(runs.flatMap((r) => pick(r).map((x) => x.key)))].sort();
  const metrics = keys((r) => r.data.metrics), params = keys((r) => r.data.params);
  const tags = keys((r) => r.data.tags).filter((k) => !k.startsWith("mlflow."));
  const columns = [
    ...params.map((k) => `params.${k}`),
    ...metrics.map((k) => `metrics.${k}`),
    ...tags.map((k) => `tags.${k}`),
  ];
  const differs = params.filter((k) =>
    new Set(runs.map((r) => String(columnValue(r, `params.${k}`)))).size > 1
  );
  const metric = q.pm && metrics.includes(q.pm) ? q.pm : metrics[0];
  const asked = q.pp?.flatMap((v) => v.split(",")).filter((k) => params.includes(k));
  const chosen = q.pp !== undefined ? [...new Set(asked)] : (differs.length ? differs : params);
  const pcParams = chosen.slice(0, 12);
  const plotRuns: PlotRun[] = runs.map((r, i) => ({
    label: runLabel(r),
    color: colorAt(i),
    href: u.run(r.info.experimentId, r.info.runId),
  }));
  const column = (col: string): Column => ({
    label: col,
    values: runs.map((r) => columnValue(r, col)),
  });
  const pcColumns = [
    ...pcParams.map((k) => column(`params.${k}`)),
    ...(metric ? [column(`metrics.${metric}`)] : []),
  ];
  const sx = q.sx && columns.includes(q.sx)
    ? q.sx
    : differs[0]
    ? `params.${differs[0]}`
    : columns[0];
  const sy = q.sy && columns.includes(q.sy)
    ? q.sy
    : metric
    ? `metrics.${metric}`
    : columns[1] ?? columns[0];
  return {
    columns,
    parallel: {
      metric,
      params: pcParams,
      model: pcColumns.length ? parallelModel(pcColumns, plotRuns) : undefined,
    },
    scatter: {
      x: sx,
      y: sy,
      model: sx && sy ? scatterModel(column(sx), column(sy), plotRuns) : undefined,
    },
  };
}

/** Treats a store error as a filter error when the client caused it. */
export function isClientError(e: unknown): e is MltError {
  return e instanceof MltError && e.status === 400;
}
