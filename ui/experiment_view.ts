/**
 * The chart tab's plan (pure): which charts to draw for a page of runs (one per metric, or per
 * metric and split value; user metrics before system metrics; filtered by the metric search) and,
 * for one of them, the runs it overlays in their colours and groups.
 */
import type { Run } from "../src/model.ts";
import { colorAt } from "./chart.ts";
import type { PlotRun } from "./chart_build.ts";
import type { ExperimentState } from "./experiment_state.ts";
import { runLabel } from "./format.ts";
import { groupKey, groupLabel, groupRuns, groupValue, type RunGroup } from "./grouping.ts";
import { isSystemMetric } from "./runs_query.ts";
import type { Urls } from "./urls.ts";

/** One chart of the tab. */
export interface PlannedChart {
  key: string;
  /** The split value's key (see grouping.ts) and label, when charts are split. */
  split?: { key: string; label: string };
  title: string;
}

/** The tab's charts, by section, and how many metric keys there were before the search. */
export interface ChartPlan {
  user: PlannedChart[];
  system: PlannedChart[];
  total: number;
  shown: number;
}

/** Runs not hidden from the charts. */
export function shownRuns(runs: Run[], s: ExperimentState): Run[] {
  const hidden = new Set(s.hide);
  return runs.filter((r) => !hidden.has(r.info.runId));
}

/** True when a metric key matches the search (case-insensitive substring; empty matches all). */
export function matchesSearch(key: string, q: string): boolean {
  return !q.trim() || key.toLowerCase().includes(q.trim().toLowerCase());
}

/** Plans the charts of a page of runs. */
export function planCharts(runs: Run[], s: ExperimentState): ChartPlan {
  const shown = shownRuns(runs, s);
  const keys = [...new Set(shown.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort();
  const matching = keys.filter((k) => matchesSearch(k, s.mq));
  const splits = s.grouping.split
    ? groupRuns(shown, s.grouping.split).map((g) => ({ key: g.key, label: g.label }))
    : [undefined];
  const charts = (k: string): PlannedChart[] =>
    splits.map((sp) => ({ key: k, split: sp, title: sp ? `${k} · ${sp.label}` : k }));
  return {
    user: matching.filter((k) => !isSystemMetric(k)).flatMap(charts),
    system: matching.filter(isSystemMetric).flatMap(charts),
    total: keys.length,
    shown: matching.length,
  };
}

/** Each run's colour on the page: by its row, or its group's when grouped. */
export function runColors(runs: Run[], groups: RunGroup[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (groups) { for (const g of groups) for (const r of g.runs) out.set(r.info.runId, g.color); }
  else runs.forEach((r, i) => out.set(r.info.runId, colorAt(i)));
  return out;
}

/** The page's groups (over all its runs, so colours do not move when runs are hidden). */
export function pageGroups(runs: Run[], s: ExperimentState): RunGroup[] | undefined {
  return s.grouping.group ? groupRuns(runs, s.grouping.group) : undefined;
}

/** The runs one chart overlays, in their colours, and its groups restricted to them. */
export function chartRuns(
  u: Urls,
  runs: Run[],
  s: ExperimentState,
  chart: { split?: { key: string } },
): { plot: PlotRun[]; groups?: RunGroup[] } {
  const groups = pageGroups(runs, s);
  const colors = runColors(runs, groups);
  const splitCol = s.grouping.split;
  const inChart = (r: Run) => {
    if (!chart.split || !splitCol) return true;
    return groupKey(groupValue(r, splitCol)) === chart.split.key;
  };
  const shown = shownRuns(runs, s).filter(inChart);
  const ids = new Set(shown.map((r) => r.info.runId));
  const plot = shown.map((run) => ({
    run,
    label: runLabel(run),
    color: colors.get(run.info.runId)!,
    href: u.run(run.info.experimentId, run.info.runId),
  }));
  return {
    plot,
    groups: groups
      ?.map((g) => ({ ...g, runs: g.runs.filter((r) => ids.has(r.info.runId)) }))
      .filter((g) => g.runs.length > 0),
  };
}

/** The label of a split value (for titles of charts loaded later). */
export function splitLabel(col: string, key: string): string {
  return groupLabel(col, key === "~" ? undefined : key.slice(1));
}
