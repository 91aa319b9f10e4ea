/**
 * The experiment page's routes (part of app.ts's job, split out for size): the runs table and
 * chart tabs, the CSV export of the table's view, and the chart tab's charts fetched later
 * (scrolled into view, zoomed, hovered, downloaded). Loads through TrackingStore, renders pure
 * pages.
 */
import type { Context, Hono } from "hono";
import { h } from "preact";
import { notFound } from "../src/errors.ts";
import { type Experiment, type Page, type Run, TAG } from "../src/model.ts";
import { parseRunFilter } from "../src/search/filter.ts";
import { parseRunOrderBy } from "../src/search/order_by.ts";
import { decodePageToken, encodePageToken } from "../src/search/page_token.ts";
import { buildChart, type ChartSource, mapLimit, runSeries } from "./chart_build.ts";
import { chartCsv, chartJson, parseRange } from "./chart_response.ts";
import { LazyChart, SvgChart } from "./components/chart.tsx";
import { type FilterError, filterError } from "./components/filter_box.tsx";
import { csvResponse, csvRow } from "./csv.ts";
import { allExperiments, checkExperimentId, isClientError, SMALL } from "./data.ts";
import { type ExperimentState, parseExperimentState, stateQuery } from "./experiment_state.ts";
import {
  chartRuns,
  pageGroups,
  planCharts,
  type PlannedChart,
  runColors,
  splitLabel,
} from "./experiment_view.ts";
import { formatTime, runDuration, runLabel, runSource, runUser, tagValue } from "./format.ts";
import { ChartsBody } from "./pages/experiment_charts.tsx";
import { groupColumns, RunsBody, RunsPage } from "./pages/runs.tsx";
import type { Recent } from "./recent.ts";
import { Slot, type SlotContent, streamResponse } from "./render.ts";
import { columnList, parseColumn, runColumns } from "./runs_query.ts";
import type { Urls } from "./urls.ts";

/** What the experiment routes need. */
export interface ExperimentDeps extends ChartSource {
  searches: Recent<Page<Run>>;
  u: Urls;
  now: () => number;
}

/** Charts of the chart tab drawn with the page (about a window's worth); the rest load as they
 * scroll into view. */
export const INLINE_CHARTS = 6;

/** The query of a request as the state parser reads it. */
export function queryOf(c: Context) {
  return {
    get: (n: string) => c.req.query(n),
    all: (n: string) => c.req.queries(n) ?? [],
  };
}

function search(d: ExperimentDeps, id: string, s: ExperimentState, pageToken = s.pageToken) {
  const req = {
    experimentIds: [id],
    filter: s.filter || undefined,
    viewType: s.view,
    maxResults: s.n,
    orderBy: s.orderBy,
    pageToken,
  };
  return d.searches.get(JSON.stringify(req), () => d.store.searchRuns(req));
}

/** Min and max column values of a page's runs, from their histories (through the cache). */
async function columnStats(d: ExperimentDeps, runs: Run[], cols: string[]) {
  const wanted = cols.map((id) => ({ id, c: parseColumn(id)! })).filter((x) =>
    x.c.agg !== "latest"
  );
  const out = new Map<string, Map<string, number>>();
  if (!wanted.length) return out;
  const jobs = runs.flatMap((run) => wanted.map((w) => ({ run, ...w })));
  await mapLimit(jobs, 8, async ({ run, id, c }) => {
    const s = await runSeries(d, run, c.key, { x: "step", target: 160, cached: true });
    const v = c.agg === "min" ? s?.summary.min : s?.summary.max;
    if (v === undefined || Number.isNaN(v)) return;
    if (!out.has(run.info.runId)) out.set(run.info.runId, new Map());
    out.get(run.info.runId)!.set(id, v);
  });
  return out;
}

function chartQuery(s: ExperimentState, id: string, chart: PlannedChart) {
  return { ...stateQuery(s), exp: id, key: chart.key, sv: chart.split?.key };
}

async function oneChart(
  d: ExperimentDeps,
  e: Experiment,
  s: ExperimentState,
  runs: Run[],
  chart: PlannedChart,
  range?: [number, number],
) {
  const { plot, groups } = chartRuns(d.u, runs, s, chart);
  const q = chartQuery(s, e.experimentId, chart);
  return await buildChart(d, {
    keys: [chart.key],
    runs: plot,
    view: s.chart,
    size: SMALL,
    title: chart.title,
    href: d.u.metric(chart.key, plot.slice(0, 100).map((r) => r.run.info.runId)),
    frag: d.u.experimentChart(q),
    csv: d.u.experimentChart(q, true),
    range,
    groups: groups && { list: groups, grouping: s.grouping },
    cached: true,
  });
}

/** Registers the experiment page's routes on the UI app. */
export function experimentRoutes(app: Hono, d: ExperimentDeps): void {
  const { store, u } = d;

  app.get("/experiments/:id", async (c) => {
    const id = checkExperimentId(c.req.param("id"));
    const [experiment, experiments] = await Promise.all([
      store.getExperiment(id),
      allExperiments(store),
    ]);
    const s = parseExperimentState(queryOf(c));
    // Checked before the first byte goes out, so mistakes still get their status (400).
    const offset = decodePageToken(s.pageToken);
    let error: FilterError | undefined;
    try {
      parseRunFilter(s.filter || undefined);
      parseRunOrderBy(s.orderBy);
    } catch (e) {
      if (!isClientError(e)) throw e;
      error = filterError(e.message);
    }
    const now = d.now();
    const body = async () => {
      const page: Page<Run> = error ? { items: [] } : await search(d, id, s);
      const runs = page.items;
      const paging = {
        offset,
        nextPageToken: page.nextPageToken,
        prevPageToken: offset - s.n > 0 ? encodePageToken(offset - s.n) : undefined,
      };
      const groups = pageGroups(runs, s);
      const colors = runColors(runs, groups);
      const { columns, available } = runColumns(runs, s.cols);
      if (s.tab === "charts") {
        return chartsBody(experiment, s, runs, paging, groups, colors, groupColumns(available));
      }
      const stats = await columnStats(d, runs, columnList(columns));
      return h(RunsBody, {
        u,
        experiment,
        runs,
        state: s,
        columns,
        available,
        stats,
        colors,
        groups,
        paging,
        now,
      });
    };
    const shell = h(RunsPage, {
      u,
      experiment,
      experiments,
      state: s,
      filterError: error,
      now,
      children: h(Slot, null),
    });
    return streamResponse(shell, [body], error ? 400 : 200);
  });

  function chartsBody(
    e: Experiment,
    s: ExperimentState,
    runs: Run[],
    paging: { offset: number; nextPageToken?: string; prevPageToken?: string },
    groups: ReturnType<typeof pageGroups>,
    colors: Map<string, string>,
    columns: string[],
  ) {
    const plan = planCharts(runs, s);
    const slots: SlotContent[] = [];
    let n = 0;
    // One chart after the other: the work is all on this thread, so the first chart streams out
    // as early as it can rather than when all of them are nearly done.
    let prev: Promise<unknown> = Promise.resolve();
    const item = (chart: PlannedChart) => {
      if (n++ < INLINE_CHARTS) {
        slots.push(() => {
          const built = prev.then(() => oneChart(d, e, s, runs, chart));
          prev = built.catch(() => {});
          return built.then((b) => h(SvgChart, b.chart));
        });
        return h(Slot, null);
      }
      return h(LazyChart, {
        metricKey: chart.key,
        title: chart.title,
        href: u.metric(chart.key, runs.slice(0, 100).map((r) => r.info.runId)),
        src: u.experimentChart(chartQuery(s, e.experimentId, chart)),
        ...SMALL,
      });
    };
    const sections = [
      { id: "metrics", title: `Metrics (${plan.user.length})`, items: plan.user.map(item) },
      {
        id: "system-metrics",
        title: `System metrics (${plan.system.length})`,
        note:
          "CPU, memory, disk, network and GPU use of the machine while the run ran, and the entry point's own processes (system/process_…). mlt run logs them unless run with --no-system-metrics.",
        items: plan.system.map(item),
      },
    ].filter((sec) => sec.items.length > 0);
    const node = h(ChartsBody, {
      u,
      experiment: e,
      state: s,
      runs,
      colors,
      groups,
      groupColumns: columns,
      sections,
      keys: { total: plan.total, shown: plan.shown },
      paging,
    });
    return { node, slots };
  }

  // One chart of the chart tab: `{figure}`, hover data (`hover=1`) or CSV (`/_mlt/echart.csv`).
  const echart = async (c: Context, csv: boolean) => {
    const id = checkExperimentId(c.req.query("exp") ?? "");
    const key = c.req.query("key") ?? "";
    if (!key) throw notFound("No metric named; use /_mlt/echart?exp=<id>&key=<metric>");
    const s = parseExperimentState(queryOf(c));
    const e = await store.getExperiment(id);
    const runs = (await search(d, id, s)).items;
    const sv = c.req.query("sv");
    const chart: PlannedChart = {
      key,
      split: sv && s.grouping.split
        ? { key: sv, label: splitLabel(s.grouping.split, sv) }
        : undefined,
      title: sv && s.grouping.split ? `${key} · ${splitLabel(s.grouping.split, sv)}` : key,
    };
    if (csv) {
      const { plot, groups } = chartRuns(u, runs, s, chart);
      const groupOf = new Map(groups?.flatMap((g) => g.runs.map((r) => [r.info.runId, g.label])));
      return chartCsv(
        store,
        `${e.name}-${key}`,
        [key],
        plot,
        groups ? (r) => groupOf.get(r.run.info.runId) : undefined,
      );
    }
    const range = parseRange(c.req.query("x0"), c.req.query("x1"));
    return chartJson(await oneChart(d, e, s, runs, chart, range), c.req.query("hover") === "1");
  };
  app.get("/_mlt/echart", (c) => echart(c, false));
  app.get("/_mlt/echart.csv", (c) => echart(c, true));

  app.get("/experiments/:id/runs.csv", async (c) => {
    const id = checkExperimentId(c.req.param("id"));
    const e = await store.getExperiment(id);
    const s = parseExperimentState(queryOf(c));
    parseRunFilter(s.filter || undefined);
    const first = await search(d, id, { ...s, n: 1000 }, undefined);
    const cols = columnList(runColumns(first.items, s.cols).columns);
    const header = [
      "run_id",
      "run_name",
      "status",
      "start_time",
      "end_time",
      "duration_s",
      "user",
      "source",
      "git_commit",
      "parent_run_id",
      ...cols,
    ];
    const now = d.now();
    return csvResponse(`${e.name}-runs.csv`, header, async function* () {
      let page: Page<Run> | undefined = first;
      while (page) {
        const stats = await columnStats(d, page.items, cols);
        let out = "";
        for (const r of page.items) out += csvRow(runFields(r, cols, stats, now));
        yield out;
        page = page.nextPageToken
          ? await store.searchRuns({
            experimentIds: [id],
            filter: s.filter || undefined,
            viewType: s.view,
            maxResults: 1000,
            orderBy: s.orderBy,
            pageToken: page.nextPageToken,
          })
          : undefined;
      }
    });
  });
}

function runFields(
  r: Run,
  cols: string[],
  stats: Map<string, Map<string, number>>,
  now: number,
): (string | number | undefined)[] {
  const i = r.info;
  const dur = runDuration(r, now);
  return [
    i.runId,
    runLabel(r),
    i.status,
    formatTime(i.startTime),
    formatTime(i.endTime),
    dur === undefined ? undefined : dur / 1000,
    runUser(r),
    runSource(r),
    tagValue(r, TAG.gitCommit),
    tagValue(r, TAG.parentRunId),
    ...cols.map((id) => {
      const c = parseColumn(id)!;
      if (c.kind === "metrics") {
        return c.agg === "latest"
          ? r.data.metrics.find((m) => m.key === c.key)?.value
          : stats.get(i.runId)?.get(id);
      }
      return (c.kind === "params" ? r.data.params : r.data.tags).find((x) => x.key === c.key)
        ?.value;
    }),
  ];
}
