/**
 * A run's page: overview, description, params, metrics table, one chart per metric, the output
 * log, tags, artifacts. Streamed in three parts: RunPage (frame, overview, description, params)
 * at once, then RunMetrics (needs the histories), then RunDetails (output, tags, artifacts).
 */
import type { ComponentChildren, VNode } from "preact";
import { type Experiment, type Run, TAG } from "../../src/model.ts";
import { isRunId } from "../../src/validate.ts";
import { Artifacts, type ArtifactsProps } from "../components/artifacts.tsx";
import { ChartControls, type ChartView } from "../components/chart_controls.tsx";
import { ChartCard, type ChartItem } from "../components/chart.tsx";
import { Markdown } from "../components/markdown.tsx";
import { MetricsTable, type MetricSummary } from "../components/metrics.tsx";
import { CopyButton, StatusBadge, Time } from "../components/status.tsx";
import { formatDuration, isSafeUrl, runDuration, runLabel, runUser, tagValue } from "../format.ts";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** What the page's frame shows at once. */
export interface RunPageProps {
  u: Urls;
  run: Run;
  experiment: Experiment;
  experiments: Experiment[];
  view: ChartView;
  parent?: Run;
  /** Signature of the shown state, passed to the live stream. */
  liveSince?: string;
  now: number;
  /** RunMetrics (or a Slot when streamed). */
  metrics: ComponentChildren;
  /** RunDetails (or a Slot when streamed). */
  details: ComponentChildren;
}

/** The metrics table and charts. */
export interface RunMetricsProps {
  u: Urls;
  run: Run;
  view: ChartView;
  metrics: MetricSummary[];
  charts: ChartItem[];
}

/** The output log, tags and artifacts. */
export interface RunDetailsProps {
  u: Urls;
  run: Run;
  /** The tail of `mlt/stdout.log` when the run has one. */
  output?: OutputLog;
  artifacts: Omit<ArtifactsProps, "u" | "runId">;
}

/** The end of a run's captured output. */
export interface OutputLog {
  path: string;
  text: string;
  /** Bytes of the whole log. */
  size: number;
  /** Whether `text` is the whole log, its end, or its beginning (a log too large to read). */
  shown: "all" | "end" | "start";
  /** The artifact browser's view of the log. */
  href: string;
}

function Kv({ k, children }: { k: string; children: VNode | string | (VNode | string)[] }): VNode {
  return (
    <tr>
      <th scope="row">{k}</th>
      <td>{children}</td>
    </tr>
  );
}

function Overview(
  { u, run, parent, now }: { u: Urls; run: Run; parent?: Run; now: number },
): VNode {
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
              {parent || isRunId(parentId)
                ? (
                  <a href={u.run(parent?.info.experimentId ?? i.experimentId, parentId)}>
                    {parent ? runLabel(parent) : parentId}
                  </a>
                )
                : <span class="mono">{parentId} (not a run id)</span>}
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

/** The run page's frame: everything that needs only the run itself. */
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
      <Overview u={u} run={run} parent={p.parent} now={p.now} />
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
      {p.metrics}
      {p.details}
    </Layout>
  );
}

/** The metrics table and one chart per metric. */
export function RunMetrics(p: RunMetricsProps): VNode {
  const { u, run } = p;
  const i = run.info;
  return (
    <>
      <h2 id="metrics">Metrics ({p.metrics.length})</h2>
      {p.metrics.length
        ? <MetricsTable u={u} runId={i.runId} metrics={p.metrics} />
        : <p class="muted" id="no-metrics">No metrics.</p>}
      {p.charts.length > 0 && (
        <>
          <h2 id="charts">Charts</h2>
          <ChartControls action={u.run(i.experimentId, i.runId)} view={p.view} anchor="charts" />
          <div class="cards" id="charts-grid">
            {p.charts.map((c) => (
              <ChartCard key={"svg" in c ? c.svg.metricKey : c.lazy.metricKey} item={c} />
            ))}
          </div>
        </>
      )}
    </>
  );
}

/** The output log, tags and artifacts. */
export function RunDetails(p: RunDetailsProps): VNode {
  const { u, run } = p;
  return (
    <>
      {p.output && <Output u={u} runId={run.info.runId} log={p.output} />}
      <h2 id="tags">Tags</h2>
      <Tags u={u} run={run} />
      <h2 id="artifacts">Artifacts</h2>
      <Artifacts u={u} runId={run.info.runId} {...p.artifacts} />
    </>
  );
}

function Output({ u, runId, log }: { u: Urls; runId: string; log: OutputLog }): VNode {
  return (
    <section aria-labelledby="output">
      <h2 id="output">Output</h2>
      <p class="small">
        <span class="mono">{log.path}</span> · {log.size} bytes{" "}
        {log.shown !== "all" && (
          <span class="muted">· showing the {log.shown === "end" ? "end" : "beginning"}</span>
        )} · <a href={log.href}>View in artifacts</a> ·{" "}
        <a href={u.artifact(runId, log.path)} download>Download</a>
      </p>
      <pre class="output" id="output-log">{log.text}</pre>
    </section>
  );
}
