/** The runs table's URL state as store queries and columns (pure; used by the experiment route). */
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
  const m = /^(metrics|params|tags)\.(.+)$/.exec(sort.col);
  if (m && !m[2].includes("`")) return [`${m[1]}.\`${m[2]}\` ${dir}`, "attributes.start_time DESC"];
  return ["attributes.start_time DESC"];
}

/**
 * The runs table's columns: the chosen ones (or the first ten metrics and params of the page) and
 * every param, metric and non-system tag seen on the page.
 */
export function runColumns(
  runs: Run[],
  chosen: string[] | undefined,
): { columns: string[]; available: string[] } {
  const metricKeys = new Set<string>(), paramKeys = new Set<string>(), tagKeys = new Set<string>();
  for (const r of runs) {
    for (const m of r.data.metrics) metricKeys.add(`metrics.${m.key}`);
    for (const p of r.data.params) paramKeys.add(`params.${p.key}`);
    for (const t of r.data.tags) if (!t.key.startsWith("mlflow.")) tagKeys.add(`tags.${t.key}`);
  }
  const available = new Set<string>();
  for (const s of [metricKeys, paramKeys, tagKeys]) for (const k of [...s].sort()) available.add(k);
  const raw = chosen ??
    [...[...metricKeys].sort().slice(0, 10), ...[...paramKeys].sort().slice(0, 10)];
  const columns = [...new Set(raw)].filter((k) => /^(metrics|params|tags)\./.test(k));
  return { columns, available: [...new Set([...available, ...columns])] };
}
