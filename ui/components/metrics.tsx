/** The metrics table of a run and its summary type (latest, min and max with their steps, count). */
import type { VNode } from "preact";
import type { Metric } from "../../src/model.ts";
import type { Urls } from "../urls.ts";
import { Num } from "./status.tsx";

/**
 * One metric of a run, summarised over its whole history. min, max and count are missing while
 * the history has not been read (its chart loads later): the row then shows the latest value only.
 */
export interface MetricSummary {
  key: string;
  latest: Metric;
  min?: number;
  max?: number;
  minStep?: number;
  maxStep?: number;
  count?: number;
}

function Extreme({ v, step }: { v?: number; step?: number }): VNode {
  return (
    <>
      <Num v={v} />
      {step !== undefined && <span class="muted small at">step {step}</span>}
    </>
  );
}

/** One row of the metrics table (also sent alone by live updates and lazy charts). */
export function MetricRow(
  { s, href }: { s: MetricSummary; href: string },
): VNode {
  const pending = s.count === undefined;
  const wait = <span class="muted" title="Read with its chart">…</span>;
  return (
    <tr data-metric-key={s.key} data-pending={pending ? "1" : undefined}>
      <td>
        <a href={href}>{s.key}</a>
      </td>
      <td class="num">
        <Num v={s.latest.value} />
      </td>
      <td class="num">{pending ? wait : <Extreme v={s.min} step={s.minStep} />}</td>
      <td class="num">{pending ? wait : <Extreme v={s.max} step={s.maxStep} />}</td>
      <td class="num" data-steps>{pending ? wait : s.count}</td>
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
          <th scope="col">Min (at step)</th>
          <th scope="col">Max (at step)</th>
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
