/** The runs table's URL state as store queries and columns (pure; used by the experiment routes). */
import { type Run, TAG } from "../src/model.ts";
import type { Sort } from "./components/runs_table.tsx";

/** The store's order_by clauses for a column id of the runs table. */
export function orderClause(sort: Sort): string[] {
  const dir = sort.desc ? "DESC" : "ASC";
  const fixed: Record<string, string> = {
    name: "attributes.run_name",
    status: "attributes.status",
    start: "attributes.start_time",
    user: "attributes.user_id",
    source: `tags.\`${TAG.sourceName}\``,
    version: `tags.\`${TAG.gitCommit}\``,
  };
  if (fixed[sort.col]) return [`${fixed[sort.col]} ${dir}`];
  const m = /^(metrics|params|tags)\.([^@]+)$/.exec(sort.col);
  if (m && !m[2].includes("`")) return [`${m[1]}.\`${m[2]}\` ${dir}`, "attributes.start_time DESC"];
  return ["attributes.start_time DESC"];
}

/** A column id taken apart: `params.k`, `tags.k`, `metrics.k` (latest), `metrics.k@min`/`@max`. */
export interface ColumnRef {
  kind: "params" | "metrics" | "tags";
  key: string;
  /** For metrics: the latest value, or the lowest or highest over the history. */
  agg: "latest" | "min" | "max";
}

/** Parses a column id (undefined when malformed). */
export function parseColumn(id: string): ColumnRef | undefined {
  const m = /^(params|metrics|tags)\.(.+?)(?:@(min|max))?$/.exec(id);
  if (!m || (m[3] && m[1] !== "metrics")) return undefined;
  return {
    kind: m[1] as ColumnRef["kind"],
    key: m[2],
    agg: (m[3] ?? "latest") as ColumnRef["agg"],
  };
}

/** True for MLflow's system metrics (`system/…`), shown apart from the user's own. */
export function isSystemMetric(key: string): boolean {
  return key.startsWith("system/");
}

/** The table's columns in display order, by group. */
export interface TableColumns {
  params: string[];
  metrics: string[];
  /** `system/…` metrics: a group of their own, collapsed unless asked for. */
  system: string[];
  tags: string[];
}

/** Every column seen on a page, by group (metric keys without `@min`/`@max`). */
export type AvailableColumns = TableColumns;

/** All chosen columns in display order. */
export function columnList(c: TableColumns): string[] {
  return [...c.params, ...c.metrics, ...c.system, ...c.tags];
}

/**
 * The runs table's columns: the chosen ones, or by default the first ten params and user
 * metrics and every system metric; and every param, metric and non-system tag on the page.
 * Params come first, then user metrics, then system metrics, then tags.
 */
export function runColumns(
  runs: Run[],
  chosen: string[] | undefined,
): { columns: TableColumns; available: AvailableColumns } {
  const params = new Set<string>(), metrics = new Set<string>(), tags = new Set<string>();
  for (const r of runs) {
    for (const m of r.data.metrics) metrics.add(m.key);
    for (const p of r.data.params) params.add(p.key);
    for (const t of r.data.tags) if (!t.key.startsWith("mlflow.")) tags.add(t.key);
  }
  const sorted = (s: Set<string>) => [...s].sort();
  const metricKeys = sorted(metrics);
  const available: AvailableColumns = {
    params: sorted(params).map((k) => `params.${k}`),
    metrics: metricKeys.filter((k) => !isSystemMetric(k)).map((k) => `metrics.${k}`),
    system: metricKeys.filter(isSystemMetric).map((k) => `metrics.${k}`),
    tags: sorted(tags).map((k) => `tags.${k}`),
  };
  if (!chosen) {
    return {
      columns: {
        params: available.params.slice(0, 10),
        metrics: available.metrics.slice(0, 10),
        system: available.system,
        tags: [],
      },
      available,
    };
  }
  const columns: TableColumns = { params: [], metrics: [], system: [], tags: [] };
  for (const id of [...new Set(chosen)]) {
    const c = parseColumn(id);
    if (!c) continue;
    const group = c.kind === "metrics" ? (isSystemMetric(c.key) ? "system" : "metrics") : c.kind;
    columns[group].push(id);
    // A chosen column missing from this page stays available, so it can be unchosen.
    const base = c.kind === "metrics" ? `metrics.${c.key}` : id;
    if (!available[group].includes(base)) available[group].push(base);
  }
  for (const g of ["params", "metrics", "system", "tags"] as const) {
    const order = new Map(available[g].map((k, i) => [k, i]));
    const rank = (id: string) => {
      const c = parseColumn(id)!;
      const base = c.kind === "metrics" ? `metrics.${c.key}` : id;
      return (order.get(base) ?? 0) * 3 + ["latest", "min", "max"].indexOf(c.agg);
    };
    columns[g].sort((a, b) => rank(a) - rank(b));
  }
  return { columns, available };
}
