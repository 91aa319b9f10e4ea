/**
 * A run's page: a sticky menu of its sections (overview and description, parameters, metrics
 * and charts, datasets, artifacts, output, tags) and the sections in that order. The route
 * passes the sections, so a new one (e.g. logged models) is one more entry in its list; parts
 * that need more reading arrive as streamed slots inside them.
 */
import type { ComponentChildren, VNode } from "preact";
import { type Experiment, type Run, TAG } from "../../src/model.ts";
import { isRunId } from "../../src/validate.ts";
import { ChartControls, type ChartView } from "../components/chart_controls.tsx";
import { ChartCard, type ChartItem } from "../components/chart.tsx";
import { Kv, KvTable } from "../components/kv_table.tsx";
import { MetricsTable, type MetricSummary } from "../components/metrics.tsx";
import { CopyButton, StatusBadge, Time } from "../components/status.tsx";
import { Description, TagsEditor } from "../components/tags_editor.tsx";
import { formatDuration, isSafeUrl, runDuration, runLabel, runUser, tagValue } from "../format.ts";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** One section of the run page: an anchor, a menu title, its content. */
export interface RunSection {
  id: string;
  title: string;
  /** Shown after the title in the menu (e.g. a count). */
  count?: number;
  body: ComponentChildren;
}

/** What the page's frame needs. */
export interface RunPageProps {
  u: Urls;
  run: Run;
  experiment: Experiment;
  experiments: Experiment[];
  view: ChartView;
  /** Signature of the shown state, passed to the live stream. */
  liveSince?: string;
  sections: RunSection[];
}

/** The metrics table and charts. */
export interface RunMetricsProps {
  u: Urls;
  run: Run;
  view: ChartView;
  metrics: MetricSummary[];
  charts: ChartItem[];
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

/** The overview: ids, status, times, user, source, git, parent. */
export function Overview(
  { u, run, parent, now, children }: {
    u: Urls;
    run: Run;
    parent?: Run;
    now: number;
    /** The child runs (a slot). */
    children?: ComponentChildren;
  },
): VNode {
  const i = run.info;
  const commit = tagValue(run, TAG.gitCommit);
  const repo = tagValue(run, TAG.gitRepoUrl);
  const branch = tagValue(run, TAG.gitBranch);
  const parentId = tagValue(run, TAG.parentRunId);
  return (
    <>
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
            <Kv k="Started">
              <Time ms={i.startTime} now={now} />
            </Kv>
            <Kv k="Ended">
              <span data-live-end>
                <Time ms={i.endTime} now={now} />
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
      {children}
    </>
  );
}

/** A parent run's children. */
export function ChildRuns(
  { u, runs, now }: { u: Urls; runs: Run[]; now: number },
): VNode | null {
  if (!runs.length) return null;
  return (
    <div id="child-runs">
      <h3>Child runs ({runs.length})</h3>
      <table class="grid fit">
        <tbody>
          {runs.map((r) => (
            <tr key={r.info.runId}>
              <td>
                <a href={u.run(r.info.experimentId, r.info.runId)}>{runLabel(r)}</a>
              </td>
              <td>
                <StatusBadge status={r.info.status} />
              </td>
              <td>
                <Time ms={r.info.startTime} now={now} />
              </td>
              <td class="num">{formatDuration(runDuration(r, now))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** System tags: MLflow's own (`mlflow.*`) and mlt run's (`mlt.runner.*`). */
export function isSystemTag(key: string): boolean {
  return key.startsWith("mlflow.") || key.startsWith("mlt.");
}

/** The tags: the user's (editable, delete asks first), then the system tags folded. */
export function Tags({ u, run }: { u: Urls; run: Run }): VNode {
  const tags = [...run.data.tags].sort((a, b) => (a.key < b.key ? -1 : 1));
  const user = tags.filter((t) => !isSystemTag(t.key));
  const system = tags.filter((t) => isSystemTag(t.key));
  const base = `runs/${encodeURIComponent(run.info.runId)}`;
  return (
    <div>
      <TagsEditor
        tags={user}
        id="tags-table"
        setAction={u.action(`${base}/tags`)}
        deleteAction={u.action(`${base}/tags/delete`)}
        deletable={(k) => !isSystemTag(k)}
      />
      {system.length > 0 && (
        <details>
          <summary>System tags ({system.length})</summary>
          <table class="kv" id="system-tags">
            <tbody>
              {system.map((t) => (
                <tr key={t.key}>
                  <th scope="row">{t.key}</th>
                  <td>{t.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}

/** The parameters table. */
export function Params({ run }: { run: Run }): VNode {
  return <KvTable items={run.data.params} id="params-table" empty="No parameters." />;
}

/** The description (the run's `mlflow.note.content`) with its edit form. */
export function RunDescription({ u, run }: { u: Urls; run: Run }): VNode {
  return (
    <Description
      text={tagValue(run, TAG.note) ?? ""}
      action={u.action(`runs/${encodeURIComponent(run.info.runId)}/description`)}
    />
  );
}

/** The run page: frame, section menu, sections. */
export function RunPage(p: RunPageProps): VNode {
  const { u, run, experiment: e } = p;
  const i = run.info;
  const live = i.status === "RUNNING" || i.status === "SCHEDULED";
  return (
    <Layout
      title={`${runLabel(run)} · ${e.name}`}
      u={u}
      sidebar={{ experiments: p.experiments, current: e.experimentId }}
    >
      <div class="crumbs">
        <a href={u.home()}>Experiments</a> / <a href={u.experiment(e.experimentId)}>{e.name}</a>
        {" / "}
        {runLabel(run)}
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
      <nav class="sections" aria-label="Sections">
        {p.sections.map((s) => (
          <a key={s.id} href={`#${s.id}`}>
            {s.title}
            {s.count !== undefined && <span class="muted">{" " + s.count}</span>}
          </a>
        ))}
      </nav>
      {p.sections.map((s) => (
        <section key={s.id} id={s.id} aria-labelledby={`${s.id}-title`}>
          <h2 id={`${s.id}-title`}>{s.title}</h2>
          {s.body}
        </section>
      ))}
    </Layout>
  );
}

/** The metrics table and one chart per metric. */
export function RunMetrics(p: RunMetricsProps): VNode {
  const { u, run } = p;
  const i = run.info;
  if (!p.metrics.length) return <p class="muted" id="no-metrics">No metrics.</p>;
  const system = p.metrics.filter((m) => m.key.startsWith("system/")).length;
  return (
    <>
      <MetricsTable u={u} runId={i.runId} metrics={p.metrics} />
      {system > 0 && (
        <p class="muted small">
          The {system} <code>system/…</code>{" "}
          metrics are the machine's CPU, memory, disk, network and GPU use while the run ran, and
          its entry point's own processes (<code>system/process_…</code>);{" "}
          <code>mlt run --no-system-metrics</code> turns them off.
        </p>
      )}
      <ChartControls action={u.run(i.experimentId, i.runId)} view={p.view} anchor="metrics" />
      <div class="cards" id="charts-grid">
        {p.charts.map((c) => (
          <ChartCard key={"svg" in c ? c.svg.metricKey : c.lazy.metricKey} item={c} />
        ))}
      </div>
    </>
  );
}

/** The output log of `mlt run`, or where it would be. */
export function Output({ u, runId, log }: { u: Urls; runId: string; log?: OutputLog }): VNode {
  if (!log) {
    return (
      <p class="muted">
        No output log: <code>mlt run</code> saves the entry point's output as{" "}
        <code>mlt/stdout.log</code>.
      </p>
    );
  }
  return (
    <>
      <p class="small">
        <span class="mono">{log.path}</span> · {log.size} bytes{" "}
        {log.shown !== "all" && (
          <span class="muted">· showing the {log.shown === "end" ? "end" : "beginning"}</span>
        )} · <a href={log.href}>View in artifacts</a> ·{" "}
        <a href={u.artifact(runId, log.path)} download>Download</a>
      </p>
      <pre class="output" id="output-log">{log.text}</pre>
    </>
  );
}
