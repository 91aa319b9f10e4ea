/**
 * One or more metrics of one or more runs overlaid on a large chart (one per split value when
 * split), grouped and aggregated when asked, with a summary table: each run's latest value, its
 * min and max with their steps, and its number of points.
 */
import type { VNode } from "preact";
import type { Experiment, Run } from "../../src/model.ts";
import type { SeriesSummary } from "../chart_reduce.ts";
import { ChartControls, type ChartView } from "../components/chart_controls.tsx";
import { SvgChart, type SvgChartProps } from "../components/chart.tsx";
import { RunsCrumbs } from "../components/crumbs.tsx";
import { Num } from "../components/status.tsx";
import { GroupingForm } from "../components/view_forms.tsx";
import { runLabel } from "../format.ts";
import { type Grouping, groupingQuery, type RunGroup } from "../grouping.ts";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** Everything the metric page shows. */
export interface MetricPageProps {
  u: Urls;
  keys: string[];
  /** Other metrics of these runs (to add to the chart). */
  otherKeys: string[];
  runs: { run: Run; color: string; summary?: SeriesSummary }[];
  groups?: RunGroup[];
  grouping: Grouping;
  charts: SvgChartProps[];
  view: ChartView;
  experiments: Experiment[];
  sidebar: Experiment[];
}

function pairs(q: Record<string, string | string[] | undefined>): [string, string][] {
  return Object.entries(q).flatMap(([k, v]) =>
    v === undefined ? [] : [v].flat().filter((x) => x !== "").map((x): [string, string] => [k, x])
  );
}

/** The metric page. */
export function MetricPage(p: MetricPageProps): VNode {
  const { u, keys } = p;
  const runs = p.runs.map((r) => r.run);
  const ids = runs.map((r) => r.info.runId);
  const action = u.metric(keys[0], ids).split("?")[0];
  const view = {
    x: p.view.x === "step" ? undefined : p.view.x,
    y: p.view.y === "linear" ? undefined : p.view.y,
    smooth: p.view.smooth ? String(p.view.smooth) : undefined,
  };
  const base = { key: keys, runs: ids.join(","), ...groupingQuery(p.grouping) };
  const groupOf = new Map(p.groups?.flatMap((g) => g.runs.map((r) => [r.info.runId, g])));
  return (
    <Layout
      title={`${keys.join(", ")} · ${
        runs.length === 1 ? runLabel(runs[0]) : `${runs.length} runs`
      }`}
      u={u}
      sidebar={{ experiments: p.sidebar, current: p.experiments[0]?.experimentId }}
    >
      <RunsCrumbs u={u} experiments={p.experiments} runs={runs} here={keys.join(", ")} />
      <h1>{keys.join(" · ")}</h1>
      <div class="toolbar">
        <ChartControls action={action} view={p.view} keep={pairs(base)} />
        {p.otherKeys.length > 0 && (
          <form class="inline" action={action} method="get">
            {pairs({ ...base, ...view }).map(([k, v], i) => (
              <input key={i} type="hidden" name={k} value={v} />
            ))}
            <select name="key" aria-label="Add a metric to the chart">
              {p.otherKeys.map((k) => <option key={k} value={k}>{k}</option>)}
            </select>
            <button type="submit">Add metric</button>
          </form>
        )}
        {keys.length > 1 && keys.map((k) => {
          const rest = keys.filter((x) => x !== k);
          return (
            <a key={k} class="small" href={u.metric(rest[0], ids, { ...base, ...view, key: rest })}>
              Remove {k}
            </a>
          );
        })}
      </div>
      {runs.length > 1 && (
        <GroupingForm
          action={action}
          grouping={p.grouping}
          columns={groupable(runs)}
          keep={pairs({ key: keys, runs: ids.join(","), ...view })}
          split
        />
      )}
      {p.charts.map((c, i) => <SvgChart key={i} {...c} />)}
      <h2>Runs</h2>
      <div class="tablewrap">
        <table class="grid" id="metric-runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              {p.groups && <th scope="col">Group</th>}
              <th scope="col">Latest {keys[0]}</th>
              <th scope="col">Min (at step)</th>
              <th scope="col">Max (at step)</th>
              <th scope="col">Points</th>
            </tr>
          </thead>
          <tbody>
            {p.runs.map(({ run, color, summary: s }) => (
              <tr key={run.info.runId}>
                <td>
                  <i class="sw" style={`background:${color}`} />
                  <a href={u.run(run.info.experimentId, run.info.runId)}>{runLabel(run)}</a>
                </td>
                {p.groups && <td>{groupOf.get(run.info.runId)?.label ?? ""}</td>}
                <td class="num">
                  <Num v={s?.latest?.value} />
                </td>
                <td class="num">
                  <Num v={s && Number.isFinite(s.min) ? s.min : undefined} />
                  {s?.minStep !== undefined && <span class="muted small at">step {s.minStep}</span>}
                </td>
                <td class="num">
                  <Num v={s && Number.isFinite(s.max) ? s.max : undefined} />
                  {s?.maxStep !== undefined && <span class="muted small at">step {s.maxStep}</span>}
                </td>
                <td class="num">{s?.count ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Layout>
  );
}

/** Columns several runs can be grouped by: their params and non-system tags. */
export function groupable(runs: Run[]): string[] {
  const params = new Set<string>(), tags = new Set<string>();
  for (const r of runs) {
    for (const x of r.data.params) params.add(`params.${x.key}`);
    for (const t of r.data.tags) if (!t.key.startsWith("mlflow.")) tags.add(`tags.${t.key}`);
  }
  return [...[...params].sort(), ...[...tags].sort()];
}
