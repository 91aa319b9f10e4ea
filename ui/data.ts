/**
 * The UI's data layer (part of app.ts's job, split out for size): loads page data through
 * TrackingStore and shapes it into page props. With chart_build.ts and the route modules, the
 * only UI code that calls the store; it never imports a store implementation or touches Deno.*.
 */
import { MltError, notFound } from "../src/errors.ts";
import type { Experiment, Run, ViewType } from "../src/model.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { validateExperimentId, validateRunId } from "../src/validate.ts";
import { colorAt } from "./chart.ts";
import {
  buildChart,
  type BuiltChart,
  type ChartSource,
  mapLimit,
  type PlotRun,
} from "./chart_build.ts";
import type { Grouping, RunGroup } from "./grouping.ts";
import {
  type Column,
  type ParallelModel,
  parallelModel,
  type ScatterModel,
  scatterModel,
} from "./plots.ts";
import type { ChartView } from "./components/chart_controls.tsx";
import { runLabel } from "./format.ts";
import type { Urls } from "./urls.ts";

/** Width and height of the small charts on run and compare pages. */
export const SMALL = { width: 460, height: 220 };
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

/** Loads runs by id, in order; missing ones raise a 404 naming the id. */
export async function loadRuns(store: TrackingStore, ids: string[]): Promise<Run[]> {
  return await mapLimit(ids, 8, (id) => store.getRun(checkRunId(id)));
}

/** Runs as charts draw them: colours by position (or given), labels, links. */
export function plotRuns(u: Urls, runs: Run[], colors?: string[]): PlotRun[] {
  return runs.map((run, i) => ({
    run,
    label: runLabel(run),
    color: colors?.[i] ?? colorAt(i),
    href: u.run(run.info.experimentId, run.info.runId),
  }));
}

/** Options of metricChart. */
export interface MetricChartOptions {
  /** Read through the series cache (several runs). */
  cached?: boolean;
  range?: [number, number];
  groups?: { list: RunGroup[]; grouping: Grouping };
  /** Extra query pairs of the chart's links (grouping). */
  query?: Record<string, string | string[] | undefined>;
  colors?: string[];
  /** Default: the keys. */
  title?: string;
}

/** One chart of metric `keys` over runs given by id (run, metric, compare pages; live updates). */
export async function metricChart(
  src: ChartSource,
  u: Urls,
  keys: string[],
  runs: Run[],
  view: ChartView,
  size: { width: number; height: number },
  o: MetricChartOptions = {},
): Promise<BuiltChart> {
  const ids = runs.map((r) => r.info.runId);
  const q = { ...viewQuery(view), ...o.query };
  const large = size.width > SMALL.width;
  return await buildChart(src, {
    keys,
    runs: plotRuns(u, runs, o.colors),
    view,
    size,
    title: o.title ?? keys.join(", "),
    href: large ? undefined : u.metric(keys[0], ids, q),
    frag: u.chart(keys[0], ids, { ...q, key: keys, size: large ? "large" : undefined }),
    csv: u.chartCsv(keys[0], ids, { key: keys }),
    range: o.range,
    groups: o.groups,
    cached: o.cached ?? runs.length > 1,
  });
}

/** A view as query pairs for links (defaults left out). */
export function viewQuery(view: ChartView): Record<string, string | undefined> {
  return {
    x: view.x === "step" ? undefined : view.x,
    y: view.y === "linear" ? undefined : view.y,
    smooth: view.smooth ? String(view.smooth) : undefined,
  };
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
  render: (key: string) => Promise<BuiltChart>,
): Promise<(BuiltChart | { lazy: string })[]> {
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
  colors: string[],
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
  const metric = q.pm && metrics.includes(q.pm) ? q.pm : defaultMetric(runs);
  const asked = q.pp?.flatMap((v) => v.split(",")).filter((k) => params.includes(k));
  const chosen = q.pp !== undefined ? [...new Set(asked)] : (differs.length ? differs : params);
  const pcParams = chosen.slice(0, 12);
  const plotRuns = runs.map((r, i) => ({
    label: runLabel(r),
    color: colors[i],
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

/**
 * The metric a page of several runs starts with: the first user metric (not `system/…`) that
 * every run has, else the first user metric any has, else the first metric.
 */
export function defaultMetric(runs: Run[]): string | undefined {
  const keys = [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort();
  const user = keys.filter((k) => !k.startsWith("system/"));
  const shared = user.find((k) => runs.every((r) => r.data.metrics.some((m) => m.key === k)));
  return shared ?? user[0] ?? keys[0];
}

/** Treats a store error as a filter error when the client caused it. */
export function isClientError(e: unknown): e is MltError {
  return e instanceof MltError && e.status === 400;
}
