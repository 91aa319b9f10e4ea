/** A run's page: overview, description, params, metrics table, one chart per metric, tags, artifacts. */
import type { VNode } from "preact";
import { type Experiment, type Run, TAG } from "../../src/model.ts";
import { Artifacts, type ArtifactsProps } from "../components/artifacts.tsx";
import { ChartControls, type ChartView } from "../components/chart_controls.tsx";
import { SvgChart, type SvgChartProps } from "../components/chart.tsx";
import { Markdown } from "../components/markdown.tsx";
import { MetricsTable, type MetricSummary } from "../components/metrics.tsx";
import { CopyButton, StatusBadge, Time } from "../components/status.tsx";
import { formatDuration, isSafeUrl, runDuration, runLabel, runUser, tagValue } from "../format.ts";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** Everything the run page shows. */
export interface RunPageProps {
  u: Urls;
  run: Run;
  experiment: Experiment;
  experiments: Experiment[];
  metrics: MetricSummary[];
  charts: SvgChartProps[];
  view: ChartView;
  artifacts: Omit<ArtifactsProps, "u" | "runId">;
  parent?: Run;
  /** Signature of the shown state, passed to the live stream. */
  liveSince?: string;
  now: number;
}

function Kv({ k, children }: { k: string; children: VNode | string | (VNode | string)[] }): VNode {
  return (
    <tr>
      <th scope="row">{k}</th>
      <td>{children}</td>
    </tr>
  );
}

function Overview({ u, run, parent, now }: RunPageProps): VNode {
  const i = run.info;
  const commit = tagValue(run, TAG.gitCommit);
  const repo = tagValue(run, TAG.gitRepoUrl);
  const branch = tagValue(run, TAG.gitBranch);
  const parentId = tagValue(run, TAG.parentRunId);
  return (
    <div class="overview">
      <table class="kv">
        <tbody>
          <Kv k="Run ID">
            <span class="mono" id="run-id">{i.runId}</span>{" "}
            <CopyButton text={i.runId} label="run ID" />
          </Kv>
          <Kv k="Status">
            <span data-live-status>
              <StatusBadge status={i.status} deleted={i.lifecycleStage === "deleted"} />
            </span>
          </Kv>
          <Kv k="Started (UTC)">
            <Time ms={i.startTime} />
          </Kv>
          <Kv k="Ended (UTC)">
            <span data-live-end>
              <Time ms={i.endTime} />
            </span>
          </Kv>
          <Kv k="Duration">
            <span data-live-duration>{formatDuration(runDuration(run, now))}</span>
          </Kv>
          <Kv k="User">{runUser(run)}</Kv>
        </tbody>
      </table>
      <table class="kv">
        <tbody>
          <Kv k="Source">
            <span class="mono">{tagValue(run, TAG.sourceName) ?? ""}</span>{" "}
            <span class="muted">{tagValue(run, TAG.sourceType) ?? ""}</span>
          </Kv>
          <Kv k="Git commit">
            <span class="mono">{commit ?? ""}</span>
            {branch ? <span class="muted">{` (${branch})`}</span> : ""}
          </Kv>
          {repo !== undefined && (
            <Kv k="Repository">
              {isSafeUrl(repo) ? <a href={repo} rel="noopener noreferrer">{repo}</a> : repo}
            </Kv>
          )}
          <Kv k="Entry point">{tagValue(run, TAG.projectEntryPoint) ?? ""}</Kv>
          <Kv k="Environment">{tagValue(run, TAG.projectEnv) ?? ""}</Kv>
          {parentId !== undefined && (
            <Kv k="Parent run">
              <a href={u.run(parent?.info.experimentId ?? i.experimentId, parentId)}>
                {parent ? runLabel(parent) : parentId}
              </a>
            </Kv>
          )}
          <Kv k="Artifact URI">
            <span class="mono">{i.artifactUri}</span>
          </Kv>
        </tbody>
      </table>
    </div>
  );
}

function Tags({ u, run }: { u: Urls; run: Run }): VNode {
  const tags = [...run.data.tags].sort((a, b) => (a.key < b.key ? -1 : 1));
  const user = tags.filter((t) => !t.key.startsWith("mlflow."));
  const system = tags.filter((t) => t.key.startsWith("mlflow."));
  const base = `runs/${encodeURIComponent(run.info.runId)}`;
  const row = (t: { key: string; value: string }) => (
    <tr key={t.key}>
      <th scope="row">{t.key}</th>
      <td>{t.value}</td>
      <td>
        {!t.key.startsWith("mlflow.") && (
          <form class="inline" method="post" action={u.action(`${base}/tags/delete`)}>
            <input type="hidden" name="key" value={t.key} />
            <button type="submit" class="copy danger" aria-label={`Delete tag ${t.key}`}>
              Delete
            </button>
          </form>
        )}
      </td>
    </tr>
  );
  return (
    <div>
      <table class="kv" id="tags-table">
        <tbody>{user.map(row)}</tbody>
      </table>
      {user.length === 0 && <p class="muted">No tags.</p>}
      <form class="inline" method="post" action={u.action(`${base}/tags`)}>
        <input name="key" placeholder="Key" aria-label="Tag key" required />
        <input name="value" placeholder="Value" aria-label="Tag value" />
        <button type="submit">Set tag</button>
      </form>
      {system.length > 0 && (
        <details>
          <summary>System tags ({system.length})</summary>
          <table class="kv">
            <tbody>{system.map(row)}</tbody>
          </table>
        </details>
      )}
    </div>
  );
}

/** The run page. */
export function RunPage(p: RunPageProps): VNode {
  const { u, run, experiment: e } = p;
  const i = run.info;
  const note = tagValue(run, TAG.note) ?? "";
  const live = i.status === "RUNNING" || i.status === "SCHEDULED";
  const params = [...run.data.params].sort((a, b) => (a.key < b.key ? -1 : 1));
  return (
    <Layout
      title={`${runLabel(run)} · ${e.name}`}
      u={u}
      sidebar={{ experiments: p.experiments, current: e.experimentId }}
    >
      <div class="crumbs">
        <a href={u.home()}>Experiments</a> / <a href={u.experiment(e.experimentId)}>{e.name}</a>
        {" "}
        / run
      </div>
      <h1>
        {runLabel(run)} {live && (
          <span
            class="live"
            data-live-run={u.liveRun(i.runId, {
              x: p.view.x,
              y: p.view.y,
              smooth: p.view.smooth ? String(p.view.smooth) : undefined,
              since: p.liveSince,
            })}
          >
            ● live
          </span>
        )}
      </h1>
      <Overview {...p} />
      <h2>Description</h2>
      {note ? <Markdown text={note} /> : <p class="muted">No description.</p>}
      <details>
        <summary>Edit description</summary>
        <form method="post" action={u.action(`runs/${encodeURIComponent(i.runId)}/description`)}>
          <textarea name="text" rows={6} class="wide" aria-label="Description (Markdown)">
            {note}
          </textarea>
          <button type="submit">Save description</button>
        </form>
      </details>
      <h2 id="params">Parameters ({params.length})</h2>
      {params.length
        ? (
          <table class="kv" id="params-table">
            <tbody>
              {params.map((x) => (
                <tr key={x.key}>
                  <th scope="row">{x.key}</th>
                  <td class="mono">{x.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
        : <p class="muted">No parameters.</p>}
      <h2 id="metrics">Metrics ({p.metrics.length})</h2>
      {p.metrics.length
        ? <MetricsTable u={u} runId={i.runId} metrics={p.metrics} />
        : <p class="muted" id="no-metrics">No metrics.</p>}
      {p.charts.length > 0 && (
        <>
          <h2 id="charts">Charts</h2>
          <ChartControls action={u.run(e.experimentId, i.runId)} view={p.view} anchor="charts" />
          <div class="cards" id="charts-grid">
            {p.charts.map((c) => <SvgChart key={c.metricKey} {...c} />)}
          </div>
        </>
      )}
      <h2 id="tags">Tags</h2>
      <Tags u={u} run={run} />
      <h2 id="artifacts">Artifacts</h2>
      <Artifacts u={u} runId={i.runId} {...p.artifacts} />
    </Layout>
  );
}
