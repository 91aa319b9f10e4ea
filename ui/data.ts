/**
 * The UI's data layer (part of app.ts's job, split out for size): loads page data through
 * TrackingStore and shapes it into page props. The only UI module besides app.ts and live.ts
 * that calls the store; it never imports a store implementation or touches Deno.*.
 */
import { MltError, notFound } from "../src/errors.ts";
import type { Experiment, Metric, Run, ViewType } from "../src/model.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { validateExperimentId, validateRunId } from "../src/validate.ts";
import {
  buildChart,
  type ChartOptions,
  colorAt,
  downsample,
  metricXY,
  type Series,
  smooth,
} from "./chart.ts";
import type { SvgChartProps } from "./components/chart.tsx";
import type { ChartView } from "./components/chart_controls.tsx";
import { type MetricSummary, summarize } from "./components/metrics.tsx";
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

/** Every point of one metric of one run (all pages). */
export async function history(store: TrackingStore, runId: string, key: string): Promise<Metric[]> {
  const first = await store.getMetricHistory(runId, key);
  if (!first.nextPageToken) return first.items;
  const out = [...first.items];
  let pageToken: string | undefined = first.nextPageToken;
  while (pageToken) {
    const page = await store.getMetricHistory(runId, key, { pageToken });
    out.push(...page.items);
    pageToken = page.nextPageToken;
  }
  return out;
}

/** Runs `fn` over items with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
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
  const histories = await mapLimit(
    runs,
    8,
    async (r) =>
      r.data.metrics.some((m) => m.key === key) ? await history(store, r.info.runId, key) : [],
  );
  const series: Series[] = [];
  const summaries: (MetricSummary | undefined)[] = [];
  let points = 0;
  runs.forEach((r, i) => {
    const h = histories[i];
    points += h.length;
    summaries.push(
      h.length ? summarize(key, h, r.data.metrics.find((m) => m.key === key)) : undefined,
    );
    if (h.length) {
      series.push({
        label: runLabel(r),
        color: colorAt(i),
        href: u.run(r.info.experimentId, r.info.runId),
        ...metricXY(h, view.x),
      });
    }
  });
  const ids = runs.map((r) => r.info.runId);
  const q = { x: view.x, y: view.y, smooth: view.smooth ? String(view.smooth) : undefined };
  return {
    chart: {
      model: buildChart(series, chartOptions(view, size)),
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

/** uPlot data for one metric of several runs, downsampled to about `buckets` x buckets. */
export async function chartData(
  store: TrackingStore,
  key: string,
  runs: Run[],
  view: ChartView,
  buckets = 2000,
): Promise<{ labels: string[]; colors: string[]; series: { xs: number[]; ys: number[] }[] }> {
  const histories = await mapLimit(runs, 8, (r) => history(store, r.info.runId, key));
  return {
    labels: runs.map(runLabel),
    colors: runs.map((_, i) => colorAt(i)),
    series: histories.map((h) => {
      const { xs, ys } = metricXY(h, view.x);
      return downsample(xs, smooth(ys, view.smooth), buckets);
    }),
  };
}

/** Treats a store error as a filter error when the client caused it. */
export function isClientError(e: unknown): e is MltError {
  return e instanceof MltError && e.status === 400;
}
