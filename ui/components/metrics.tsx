/** The metrics table of a run and its summary type (latest, min, max, number of steps). */
import type { VNode } from "preact";
import type { Metric } from "../../src/model.ts";
import type { Urls } from "../urls.ts";
import { Num } from "./status.tsx";

/** One metric of a run, summarised over its whole history. */
export interface MetricSummary {
  key: string;
  latest: Metric;
  min: number;
  max: number;
  count: number;
}

/** Summarises a history (min/max over finite values; loops, no spreading). */
export function summarize(key: string, history: Metric[], latest?: Metric): MetricSummary {
  let min = NaN, max = NaN, last = latest ?? history[history.length - 1];
  for (const m of history) {
    if (Number.isFinite(m.value)) {
      if (!(m.value >= min)) min = m.value;
      if (!(m.value <= max)) max = m.value;
    }
    if (
      !latest && (m.step > last.step || (m.step === last.step && m.timestamp >= last.timestamp))
    ) {
      last = m;
    }
  }
  return { key, latest: last, min, max, count: history.length };
}

/** One row of the metrics table (also sent alone by live updates). */
export function MetricRow(
  { s, href }: { s: MetricSummary; href: string },
): VNode {
  return (
    <tr data-metric-key={s.key}>
      <td>
        <a href={href}>{s.key}</a>
      </td>
      <td class="num">
        <Num v={s.latest.value} />
      </td>
      <td class="num">
        <Num v={s.min} />
      </td>
      <td class="num">
        <Num v={s.max} />
      </td>
      <td class="num" data-steps>{s.count}</td>
      <td class="num">{s.latest.step}</td>
    </tr>
  );
}

/** The metrics table. */
export function MetricsTable(
  { u, runId, metrics }: { u: Urls; runId: string; metrics: MetricSummary[] },
): VNode {
  return (
    <table class="grid fit" id="metrics-table">
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col">Latest</th>
          <th scope="col">Min</th>
          <th scope="col">Max</th>
          <th scope="col">Points</th>
          <th scope="col">Last step</th>
        </tr>
      </thead>
      <tbody>
        {metrics.map((s) => <MetricRow key={s.key} s={s} href={u.metric(s.key, [runId])} />)}
      </tbody>
    </table>
  );
}
