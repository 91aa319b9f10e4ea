/**
 * The experiment page's URL state (pure): the table's filter, sort, view, columns and page, the
 * chart tab's grouping, hidden runs, metric search and chart options. Every link and form of the
 * page carries it, so any view can be bookmarked and works without JS.
 */
import type { ViewType } from "../src/model.ts";
import { parseSmooth, parseXMode, parseYScale } from "./chart.ts";
import type { ChartView } from "./components/chart_controls.tsx";
import type { Sort } from "./components/runs_table.tsx";
import { type Grouping, groupingQuery, parseGrouping } from "./grouping.ts";
import { orderClause } from "./runs_query.ts";

/** Reads one query value, or all values of a repeated one. */
export interface Query {
  get(name: string): string | undefined;
  all(name: string): string[];
}

/** Everything the experiment page's URL says. */
export interface ExperimentState {
  tab: "table" | "charts";
  filter: string;
  view: ViewType;
  sort: Sort;
  orderBy: string[];
  /** Rows per page. */
  n: number;
  pageToken?: string;
  /** Chosen columns, or undefined for the defaults. */
  cols?: string[];
  /** System metric columns shown (their group expanded). */
  sys: boolean;
  grouping: Grouping;
  /** Runs hidden from the charts. */
  hide: string[];
  /** Metric search of the chart tab. */
  mq: string;
  chart: ChartView;
  /** Times shown in UTC rather than relative. */
  utc: boolean;
}

const VIEWS: Record<string, ViewType> = { DELETED_ONLY: "DELETED_ONLY", ALL: "ALL" };

/** A list from repeated and comma-separated values, trimmed, without duplicates. */
export function listOf(values: string[]): string[] {
  return [...new Set(values.flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean))];
}

/** Parses the experiment page's query (unknown values fall back to defaults). */
export function parseExperimentState(q: Query): ExperimentState {
  const col = q.get("sort") ?? "start";
  const sort: Sort = { col, desc: (q.get("dir") ?? (col === "start" ? "desc" : "asc")) === "desc" };
  const explicit = q.all("cols").length > 0 || q.all("col").length > 0;
  return {
    tab: q.get("tab") === "charts" ? "charts" : "table",
    filter: q.get("filter") ?? "",
    view: VIEWS[q.get("view") ?? ""] ?? "ACTIVE_ONLY",
    sort,
    orderBy: orderClause(sort),
    n: Math.min(1000, Math.max(1, Number(q.get("n")) || 100)),
    pageToken: q.get("page") || undefined,
    cols: explicit
      ? listOf([...q.all("cols"), ...q.all("col")]).filter((k) =>
        /^(metrics|params|tags)\./.test(k)
      )
      : undefined,
    sys: q.get("sys") === "1",
    grouping: parseGrouping({
      group: q.get("group"),
      split: q.get("split"),
      agg: q.get("agg"),
      band: q.get("band"),
      expand: q.all("expand"),
    }),
    hide: listOf(q.all("hide")),
    mq: q.get("mq") ?? "",
    chart: {
      x: parseXMode(q.get("x")),
      y: parseYScale(q.get("y")),
      smooth: parseSmooth(q.get("smooth")),
    },
    utc: q.get("tz") === "utc",
  };
}

/** The state as query pairs (defaults left out), for links and hidden form fields. */
export function stateQuery(s: ExperimentState): Record<string, string | string[] | undefined> {
  const defaultSort = s.sort.col === "start" && s.sort.desc;
  return {
    tab: s.tab === "charts" ? "charts" : undefined,
    filter: s.filter || undefined,
    sort: defaultSort ? undefined : s.sort.col,
    dir: defaultSort ? undefined : s.sort.desc ? "desc" : "asc",
    view: s.view === "ACTIVE_ONLY" ? undefined : s.view,
    cols: s.cols === undefined ? undefined : s.cols.join(","),
    n: s.n === 100 ? undefined : String(s.n),
    page: s.pageToken,
    sys: s.sys ? "1" : undefined,
    ...groupingQuery(s.grouping),
    hide: s.hide.length ? s.hide.join(",") : undefined,
    mq: s.mq || undefined,
    x: s.chart.x === "step" ? undefined : s.chart.x,
    y: s.chart.y === "linear" ? undefined : s.chart.y,
    smooth: s.chart.smooth ? String(s.chart.smooth) : undefined,
    tz: s.utc ? "utc" : undefined,
  };
}

/** Hidden inputs for a GET form that keeps the state except `omit` (and the page). */
export function keptFields(
  s: ExperimentState,
  omit: string[],
): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(stateQuery(s))) {
    if (v === undefined || omit.includes(k) || k === "page") continue;
    for (const x of [v].flat()) if (x !== "") out.push([k, x]);
  }
  return out;
}
