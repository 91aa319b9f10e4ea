/** Several runs side by side: params (differences highlighted), latest metrics, overlaid charts. */
import type { VNode } from "preact";
import type { Run } from "../../src/model.ts";
import { SvgChart, type SvgChartProps } from "../components/chart.tsx";
import { ChartControls, type ChartView } from "../components/chart_controls.tsx";
import { Num, StatusBadge } from "../components/status.tsx";
import { runLabel } from "../format.ts";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** Everything the compare page shows. */
export interface ComparePageProps {
  u: Urls;
  runs: { run: Run; color: string }[];
  charts: SvgChartProps[];
  view: ChartView;
  onlyDiff: boolean;
}

/** Keys of a run field (params or metrics) across runs, with whether the values differ. */
export function diffRows(
  runs: Run[],
  pick: (r: Run) => { key: string; value: string | number }[],
): { key: string; values: (string | number | undefined)[]; differs: boolean }[] {
  const keys = new Set<string>();
  for (const r of runs) for (const x of pick(r)) keys.add(x.key);
  return [...keys].sort().map((key) => {
    const values = runs.map((r) => pick(r).find((x) => x.key === key)?.value);
    const first = String(values[0]);
    return { key, values, differs: values.some((v) => String(v) !== first) };
  });
}

/** The compare page. */
export function ComparePage(p: ComparePageProps): VNode {
  const { u } = p;
  const runs = p.runs.map((r) => r.run);
  const ids = runs.map((r) => r.info.runId);
  const params = diffRows(runs, (r) => r.data.params).filter((r) => !p.onlyDiff || r.differs);
  const metrics = diffRows(runs, (r) => r.data.metrics);
  const head = (
    <thead>
      <tr>
        <th scope="col" />
        {p.runs.map(({ run, color }) => (
          <th key={run.info.runId} scope="col">
            <i
              style={`display:inline-block;width:10px;height:3px;vertical-align:middle;margin-right:6px;background:${color}`}
            />
            <a href={u.run(run.info.experimentId, run.info.runId)}>{runLabel(run)}</a>
          </th>
        ))}
      </tr>
    </thead>
  );
  return (
    <Layout title={`Compare ${runs.length} runs`} u={u}>
      <div class="crumbs">
        <a href={u.home()}>Experiments</a>
        {runs[0] && (
          <>
            {" / "}
            <a href={u.experiment(runs[0].info.experimentId)}>
              experiment {runs[0].info.experimentId}
            </a>
          </>
        )}
      </div>
      <h1>Compare {runs.length} runs</h1>
      <div class="tablewrap">
        <table class="grid" id="compare-runs">
          {head}
          <tbody>
            <tr>
              <th scope="row">Status</th>
              {runs.map((r) => (
                <td key={r.info.runId}>
                  <StatusBadge status={r.info.status} />
                </td>
              ))}
            </tr>
            <tr>
              <th scope="row">Run ID</th>
              {runs.map((r) => <td key={r.info.runId} class="mono">{r.info.runId}</td>)}
            </tr>
          </tbody>
        </table>
      </div>
      <h2>Parameters</h2>
      <p class="small">
        {p.onlyDiff
          ? <a href={u.compare(ids, { x: p.view.x, y: p.view.y })}>Show all parameters</a>
          : (
            <a href={u.compare(ids, { diff: "1", x: p.view.x, y: p.view.y })}>
              Show only differences
            </a>
          )}
        <span class="muted">· highlighted rows differ</span>
      </p>
      <div class="tablewrap">
        <table class="grid" id="compare-params">
          {head}
          <tbody>
            {params.map((r) => (
              <tr
                key={r.key}
                class={r.differs ? "diff" : undefined}
                data-differs={r.differs ? "1" : "0"}
              >
                <th scope="row">{r.key}</th>
                {r.values.map((v, i) => <td key={i}>{v ?? ""}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Metrics (latest)</h2>
      <div class="tablewrap">
        <table class="grid" id="compare-metrics">
          {head}
          <tbody>
            {metrics.map((r) => (
              <tr key={r.key} class={r.differs ? "diff" : undefined}>
                <th scope="row">
                  <a href={u.metric(r.key, ids)}>{r.key}</a>
                </th>
                {r.values.map((v, i) => (
                  <td key={i} class="num">
                    <Num v={v as number | undefined} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {p.charts.length > 0 && (
        <>
          <h2 id="charts">Charts</h2>
          <ChartControls
            action={u.compare([]).split("?")[0]}
            view={p.view}
            anchor="charts"
            keep={{ runs: ids.join(","), diff: p.onlyDiff ? "1" : undefined }}
          />
          <div class="cards">{p.charts.map((c) => <SvgChart key={c.metricKey} {...c} />)}</div>
        </>
      )}
    </Layout>
  );
}
