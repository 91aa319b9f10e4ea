/**
 * Routes over a list of runs given by id (part of app.ts's job, split out for size): the metric
 * page (one or more metrics overlaid), the compare page, and their charts fetched later (lazy,
 * zoomed, hovered, downloaded as CSV). Runs are grouped and aggregated as on the experiment page.
 */
import type { Context, Hono } from "hono";
import { h } from "preact";
import { MltError, notFound } from "../src/errors.ts";
import type { Experiment, Run } from "../src/model.ts";
import type { TrackingStore } from "../src/store/store.ts";
import type { ArtifactAccess } from "./artifact_view.ts";
import { colorAt } from "./chart.ts";
import { type ChartSource, mapLimit } from "./chart_build.ts";
import { chartCsv, chartJson, parseRange } from "./chart_response.ts";
import type { ChartItem } from "./components/chart.tsx";
import type { ChartView } from "./components/chart_controls.tsx";
import { MetricRow } from "./components/metrics.tsx";
import {
  allExperiments,
  budgetedCharts,
  type ChartBudget,
  comparePlots,
  defaultMetric,
  LARGE,
  loadRuns,
  metricChart,
  plotRuns,
  SMALL,
  viewQuery,
} from "./data.ts";
import { listOf } from "./experiment_state.ts";
import {
  type Grouping,
  groupingQuery,
  groupKey,
  groupLabel,
  groupRuns,
  groupValue,
  parseGrouping,
  type RunGroup,
} from "./grouping.ts";
import { ComparePage } from "./pages/compare.tsx";
import { MetricPage } from "./pages/metric.tsx";
import { fragment, htmlResponse } from "./render.ts";
import type { Urls } from "./urls.ts";
import { parseSmooth, parseXMode, parseYScale } from "./chart.ts";

/** Most runs a metric or compare page takes (its charts reduce any number; tables do not). */
export const MAX_RUNS = 1000;

/** What these routes need. */
export interface RunsRouteDeps extends ChartSource {
  u: Urls;
  budget: ChartBudget;
  artifacts?: ArtifactAccess;
}

/** The chart options of a request. */
export function chartView(c: Context): ChartView {
  return {
    x: parseXMode(c.req.query("x")),
    y: parseYScale(c.req.query("y")),
    smooth: parseSmooth(c.req.query("smooth")),
  };
}

function grouping(c: Context): Grouping {
  return parseGrouping({
    group: c.req.query("group"),
    split: c.req.query("split"),
    agg: c.req.query("agg"),
    band: c.req.query("band"),
    expand: c.req.queries("expand") ?? [],
  });
}

/** Most metrics one chart overlays. */
export const MAX_KEYS = 20;

/** Metric keys of `key=` (repeated or comma-separated), at most MAX_KEYS. */
function metricKeys(c: Context): string[] {
  return listOf(c.req.queries("key") ?? []).slice(0, MAX_KEYS);
}

/** Run ids of `runs=` (repeated or comma-separated), at most MAX_RUNS. */
export function runIds(c: Context): string[] {
  return listOf(c.req.queries("runs") ?? []).slice(0, MAX_RUNS);
}

/** Groups, colours and chart subsets of runs under a grouping. */
export function grouped(runs: Run[], g: Grouping) {
  const groups = g.group ? groupRuns(runs, g.group) : undefined;
  const byRun = new Map(groups?.flatMap((x) => x.runs.map((r) => [r.info.runId, x.color])));
  const colors = runs.map((r, i) => byRun.get(r.info.runId) ?? colorAt(i));
  const splits = g.split
    ? groupRuns(runs, g.split).map((s) => ({ key: s.key, label: s.label }))
    : [undefined];
  const subset = (split?: { key: string }) => {
    const keep = runs.map((r) => !split || groupKey(groupValue(r, g.split!)) === split.key);
    const rs = runs.filter((_, i) => keep[i]);
    const ids = new Set(rs.map((r) => r.info.runId));
    const gs = groups
      ?.map((x): RunGroup => ({ ...x, runs: x.runs.filter((r) => ids.has(r.info.runId)) }))
      .filter((x) => x.runs.length > 0);
    return { runs: rs, colors: colors.filter((_, i) => keep[i]), groups: gs };
  };
  return { groups, colors, splits, subset };
}

async function experimentsOf(store: TrackingStore, runs: Run[]): Promise<Experiment[]> {
  const ids = [...new Set(runs.map((r) => r.info.experimentId))];
  return await mapLimit(ids, 4, (id) => store.getExperiment(id));
}

/** Registers the metric and compare pages and their chart routes. */
export function runsRoutes(app: Hono, d: RunsRouteDeps): void {
  const { store, u } = d;

  // One chart of `key`s over `runs` for a page of metrics or runs.
  const chartOf = (
    keys: string[],
    runs: Run[],
    view: ChartView,
    size: { width: number; height: number },
    g: Grouping,
    split?: { key: string; label: string },
    range?: [number, number],
  ) => {
    const { subset } = grouped(runs, g);
    const part = subset(split);
    return metricChart(d, u, keys, part.runs, view, size, {
      cached: runs.length > 1,
      range,
      colors: part.colors,
      groups: part.groups && { list: part.groups, grouping: g },
      query: { ...groupingQuery(g), sv: split?.key },
      title: split ? `${keys.join(", ")} · ${split.label}` : undefined,
    });
  };

  app.get("/metric", async (c) => {
    const keys = metricKeys(c);
    if (!keys.length) throw notFound("No metric named; use /metric?key=<key>&runs=<run ids>");
    const ids = runIds(c);
    if (!ids.length) throw notFound("No runs named; use /metric?key=<key>&runs=<run ids>");
    const runs = await loadRuns(store, ids);
    const view = chartView(c), g = grouping(c);
    const range = parseRange(c.req.query("x0"), c.req.query("x1"));
    const { groups, colors, splits } = grouped(runs, g);
    const [charts, experiments, sidebar] = await Promise.all([
      mapLimit(splits, 2, (sp) => chartOf(keys, runs, view, LARGE, g, sp, range)),
      experimentsOf(store, runs),
      allExperiments(store),
    ]);
    // The summary table: every run's first metric, from the charts just drawn.
    const summary = new Map<string, (typeof charts)[number]["summaries"][number]>();
    charts.forEach((ch, i) => {
      const part = grouped(runs, g).subset(splits[i]).runs;
      part.forEach((r, j) => summary.set(r.info.runId, ch.summaries[j]));
    });
    const otherKeys = [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))]
      .filter((k) => !keys.includes(k)).sort();
    return htmlResponse(h(MetricPage, {
      u,
      keys,
      otherKeys,
      runs: runs.map((run, i) => ({ run, color: colors[i], summary: summary.get(run.info.runId) })),
      groups,
      grouping: g,
      charts: charts.map((ch) => ({ ...ch.chart, href: undefined })),
      view,
      experiments,
      sidebar,
    }));
  });

  app.get("/compare", async (c) => {
    const wanted = runIds(c);
    if (!wanted.length) {
      throw new MltError("INVALID_PARAMETER_VALUE", "Select at least one run to compare");
    }
    const runs = await loadRuns(store, wanted);
    const ids = runs.map((r) => r.info.runId);
    const view = chartView(c), g = grouping(c);
    const { groups, colors } = grouped(runs, g);
    const all = [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort();
    const keys = [
      ...all.filter((k) => !k.startsWith("system/")),
      ...all.filter((k) => k.startsWith("system/")),
    ];
    const q = { ...viewQuery(view), ...groupingQuery(g) };
    const charts: ChartItem[] = (await budgetedCharts(
      keys,
      d.budget,
      (k) => chartOf([k], runs, view, SMALL, g),
    )).map((x, i) =>
      "chart" in x ? { svg: x.chart } : {
        lazy: {
          metricKey: keys[i],
          title: keys[i],
          href: u.metric(keys[i], ids, q),
          src: u.chart(keys[i], ids, q),
          ...SMALL,
        },
      }
    );
    const plots = comparePlots(u, runs, {
      pm: c.req.query("pm") ?? defaultMetric(runs),
      pp: c.req.queries("pp"),
      sx: c.req.query("sx"),
      sy: c.req.query("sy"),
    }, colors);
    const onlyDiff = c.req.query("diff") === "1";
    const [experiments, sidebar, artifacts] = await Promise.all([
      experimentsOf(store, runs),
      allExperiments(store),
      d.artifacts
        ? mapLimit(runs, 8, (r) => d.artifacts!.list(r.info.runId, "").catch(() => undefined))
        : Promise.resolve(runs.map(() => undefined)),
    ]);
    return htmlResponse(h(ComparePage, {
      u,
      runs: runs.map((run, i) => ({ run, color: colors[i], artifacts: artifacts[i] })),
      groups,
      grouping: g,
      charts,
      view,
      onlyDiff,
      experiments,
      sidebar,
      ...plots,
      state: {
        runs: ids.join(","),
        diff: onlyDiff ? "1" : undefined,
        ...q,
        pm: plots.parallel.metric,
        pp: plots.parallel.params.join(","),
        sx: plots.scatter.x,
        sy: plots.scatter.y,
      },
    }));
  });

  // One chart as `{figure}` (and, for one run, its metrics table row), or its hover data.
  app.get("/_mlt/chart", async (c) => {
    const keys = metricKeys(c);
    if (!keys.length) throw notFound("No metric named; use /_mlt/chart?key=<key>&runs=<run ids>");
    const runs = await loadRuns(store, runIds(c));
    if (!runs.length) throw notFound("No runs named; use /_mlt/chart?key=<key>&runs=<run ids>");
    const g = grouping(c);
    const sv = c.req.query("sv");
    const split = sv && g.split
      ? { key: sv, label: groupLabel(g.split, sv === "~" ? undefined : sv.slice(1)) }
      : undefined;
    const size = c.req.query("size") === "large" ? LARGE : SMALL;
    const range = parseRange(c.req.query("x0"), c.req.query("x1"));
    const built = await chartOf(keys, runs, chartView(c), size, g, split, range);
    const s = built.summaries[0];
    const row = c.req.query("row") === "1" && runs.length === 1 && s?.latest
      ? fragment(h(MetricRow, {
        s: { key: keys[0], ...s, latest: s.latest },
        href: u.metric(keys[0], [runs[0].info.runId]),
      }))
      : undefined;
    return chartJson(built, c.req.query("hover") === "1", { row });
  });

  app.get("/_mlt/chart.csv", async (c) => {
    const keys = metricKeys(c);
    const runs = await loadRuns(store, runIds(c));
    if (!keys.length || !runs.length) {
      throw notFound("No metric or runs named; use /_mlt/chart.csv?key=<key>&runs=<run ids>");
    }
    return chartCsv(store, keys.join("-"), keys, plotRuns(u, runs));
  });
}
