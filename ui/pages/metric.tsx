/** One metric of one or more runs overlaid on a large chart, with a legend and a summary table. */
import type { VNode } from "preact";
import type { Run } from "../../src/model.ts";
import { ChartControls, type ChartView } from "../components/chart_controls.tsx";
import { SvgChart, type SvgChartProps } from "../components/chart.tsx";
import type { MetricSummary } from "../components/metrics.tsx";
import { Num } from "../components/status.tsx";
import { runLabel } from "../format.ts";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** Everything the metric page shows. */
export interface MetricPageProps {
  u: Urls;
  metricKey: string;
  runs: { run: Run; color: string; summary?: MetricSummary }[];
  chart: SvgChartProps;
  view: ChartView;
}

/** The metric page. */
export function MetricPage(p: MetricPageProps): VNode {
  const { u } = p;
  const ids = p.runs.map((r) => r.run.info.runId);
  const first = p.runs[0]?.run;
  return (
    <Layout
      title={`${p.metricKey} · ${p.runs.length === 1 ? runLabel(first!) : `${p.runs.length} runs`}`}
      u={u}
    >
      <div class="crumbs">
        <a href={u.home()}>Experiments</a>
        {first && (
          <>
            {" / "}
            <a href={u.experiment(first.info.experimentId)}>experiment {first.info.experimentId}</a>
          </>
        )}
        {p.runs.length === 1 && first && (
          <>
            {" / "}
            <a href={u.run(first.info.experimentId, first.info.runId)}>{runLabel(first)}</a>
          </>
        )}
        {p.runs.length > 1 && (
          <>
            {" / "}
            <a href={u.compare(ids)}>compare</a>
          </>
        )}
      </div>
      <h1>{p.metricKey}</h1>
      <ChartControls
        action={u.metric(p.metricKey, ids).split("?")[0]}
        view={p.view}
        keep={{ key: p.metricKey, runs: ids.join(",") }}
      />
      <SvgChart {...p.chart} />
      <h2>Runs</h2>
      <table class="grid">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Latest</th>
            <th scope="col">Min</th>
            <th scope="col">Max</th>
            <th scope="col">Points</th>
          </tr>
        </thead>
        <tbody>
          {p.runs.map(({ run, color, summary: s }) => (
            <tr key={run.info.runId}>
              <td>
                <i
                  style={`display:inline-block;width:10px;height:3px;vertical-align:middle;margin-right:6px;background:${color}`}
                />
                <a href={u.run(run.info.experimentId, run.info.runId)}>{runLabel(run)}</a>
              </td>
              <td class="num">
                <Num v={s?.latest.value} />
              </td>
              <td class="num">
                <Num v={s?.min} />
              </td>
              <td class="num">
                <Num v={s?.max} />
              </td>
              <td class="num">{s?.count ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
