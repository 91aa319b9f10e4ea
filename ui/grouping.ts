/**
 * Groups runs by the values of params or tags (pure). A grouping has one or two levels, as in
 * Aim: the first (`group`) colours and aggregates runs, the second (`split`) divides charts.
 * Groups keep the order in which their first run appears, so the table order decides colours.
 */
import type { Run } from "../src/model.ts";
import { colorAt } from "./chart.ts";

/** How runs are grouped and aggregated (URL: group, split, agg, band, expand). */
export interface Grouping {
  /** Column whose value colours and aggregates runs: `params.k` or `tags.k`. */
  group?: string;
  /** Column whose value divides each metric into one chart per value. */
  split?: string;
  agg: "mean" | "median";
  band: "minmax" | "std" | "none";
  /** Keys of the groups shown with their runs. */
  expand: string[];
}

/** The default: no grouping. */
export const NO_GROUPING: Grouping = { agg: "mean", band: "minmax", expand: [] };

/** One group of runs. */
export interface RunGroup {
  /** Stable key of the group's value (for URLs): the value, or "" when runs lack it. */
  key: string;
  /** `lr = 0.01`, or `lr (none)`. */
  label: string;
  color: string;
  runs: Run[];
}

const COLUMN = /^(params|tags)\.(.+)$/;

/** True for a column runs can be grouped by. */
export function isGroupColumn(col: string | undefined): col is string {
  return col !== undefined && COLUMN.test(col);
}

/** A run's value of a `params.k` or `tags.k` column (undefined when it has none). */
export function groupValue(run: Run, col: string): string | undefined {
  const m = COLUMN.exec(col);
  if (!m) return undefined;
  const list = m[1] === "params" ? run.data.params : run.data.tags;
  return list.find((x) => x.key === m[2])?.value;
}

/** The label of a group's value. */
export function groupLabel(col: string, value: string | undefined): string {
  const name = col.slice(col.indexOf(".") + 1);
  return value === undefined ? `${name} (none)` : `${name} = ${value}`;
}

/** A group's key for a value: the value with a prefix, so "no value" cannot be a real "". */
export function groupKey(value: string | undefined): string {
  return value === undefined ? "~" : `=${value}`;
}

/** Runs grouped by one column, in order of first appearance, coloured in that order. */
export function groupRuns(runs: Run[], col: string): RunGroup[] {
  const out = new Map<string, RunGroup>();
  for (const r of runs) {
    const v = groupValue(r, col);
    const k = groupKey(v);
    let g = out.get(k);
    if (!g) {
      g = { key: k, label: groupLabel(col, v), color: colorAt(out.size), runs: [] };
      out.set(k, g);
    }
    g.runs.push(r);
  }
  return [...out.values()];
}

/** Grouping from URL values (unknown or malformed values fall back to the defaults). */
export function parseGrouping(q: {
  group?: string;
  split?: string;
  agg?: string;
  band?: string;
  expand?: string[];
}): Grouping {
  return {
    group: isGroupColumn(q.group) ? q.group : undefined,
    split: isGroupColumn(q.split) ? q.split : undefined,
    agg: q.agg === "median" ? "median" : "mean",
    band: q.band === "std" || q.band === "none" ? q.band : "minmax",
    expand: [...new Set(q.expand ?? [])],
  };
}

/** A grouping as query pairs (defaults left out). */
export function groupingQuery(g: Grouping): Record<string, string | string[] | undefined> {
  return {
    group: g.group,
    split: g.split,
    agg: g.group && g.agg !== "mean" ? g.agg : undefined,
    band: g.group && g.band !== "minmax" ? g.band : undefined,
    expand: g.group && g.expand.length ? g.expand : undefined,
  };
}
