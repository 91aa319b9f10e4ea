/**
 * MLflow 3 logged models: an experiment's Models tab (its logged models, paged) and one logged
 * model's page (info, params, metrics with their datasets, tags, artifacts, registered versions,
 * and the form registering it).
 */
import type { ComponentChildren, VNode } from "preact";
import type { Experiment, LoggedModel, Run } from "../../src/model.ts";
import { type ArtifactItem, type Preview, PreviewPane } from "../components/artifacts.tsx";
import {
  latestModelMetrics,
  LoggedModelsTable,
  ModelStatus,
} from "../components/logged_models.tsx";
import { ColumnHeads, Kv, KvTable } from "../components/kv_table.tsx";
import { FilterBox, type FilterError } from "../components/filter_box.tsx";
import { Num, Time } from "../components/status.tsx";
import { runLabel } from "../format.ts";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** Props of the Models tab. */
export interface ModelsTabProps {
  u: Urls;
  experiment: Experiment;
  experiments: Experiment[];
  models: LoggedModel[];
  runs: Map<string, Run>;
  now: number;
  /** Index of the page's first model, and the tokens of the neighbouring pages. */
  offset: number;
  nextPageToken?: string;
  prevPageToken?: string;
  /** True past the first page (the first page has no token). */
  paged: boolean;
  /** The filter box's text, and its parse error. */
  filter: string;
  filterError?: FilterError;
}

/** The experiment's tabs, with `current` marked; Table and Charts keep none of the tab's state. */
export function ExperimentTabs(
  { u, id, current }: { u: Urls; id: string; current: "table" | "charts" | "models" },
): VNode {
  const tabs: [typeof current, string, string][] = [
    ["table", "Table", u.experiment(id)],
    ["charts", "Charts", u.experiment(id, { tab: "charts" })],
    ["models", "Models", u.experimentModels(id)],
  ];
  return (
    <nav class="tabs" aria-label="Views of the experiment">
      {tabs.map(([k, label, href]) => (
        <a key={k} href={href} aria-current={k === current ? "page" : undefined}>{label}</a>
      ))}
    </nav>
  );
}

/** The experiment's Models tab. */
export function ModelsTabPage(p: ModelsTabProps): VNode {
  const { u, experiment: e } = p;
  const id = e.experimentId;
  const first = p.models.length ? p.offset + 1 : 0;
  return (
    <Layout
      title={`Models · ${e.name}`}
      u={u}
      sidebar={{ experiments: p.experiments, current: id }}
    >
      <div class="crumbs">
        <a href={u.home()}>Experiments</a> / <a href={u.experiment(id)}>{e.name}</a> / Models
      </div>
      <h1>{e.name}</h1>
      <ExperimentTabs u={u} id={id} current="models" />
      <FilterBox
        action={u.experimentModels(id)}
        filter={p.filter}
        error={p.filterError}
        keep={{}}
        what="logged models"
        example={`metrics.accuracy > 0.9 and params.max_depth = "3" and name LIKE "iris%"`}
      />
      {p.models.length
        ? (
          <LoggedModelsTable
            u={u}
            models={p.models}
            runs={p.runs}
            now={p.now}
            id="models-table"
          />
        )
        : (
          <p class="muted" id="no-models">
            {p.filterError
              ? ""
              : p.paged
              ? "No more logged models."
              : p.filter
              ? "No logged models match the filter."
              : (
                <>
                  No logged models in this experiment. MLflow 3's <code>log_model()</code> (e.g.
                  {" "}
                  <code>mlflow.sklearn.log_model</code>) creates them.
                </>
              )}
          </p>
        )}
      <div class="toolbar">
        <span class="muted small">
          Models {first}–{p.offset + p.models.length}
        </span>
        {(p.prevPageToken || p.paged) && (
          <a
            href={u.experimentModels(id, { page: p.prevPageToken, filter: p.filter || undefined })}
            rel="prev"
          >
            ‹ Previous page
          </a>
        )}
        {p.nextPageToken && (
          <a
            href={u.experimentModels(id, { page: p.nextPageToken, filter: p.filter || undefined })}
            rel="next"
          >
            Next page ›
          </a>
        )}
      </div>
    </Layout>
  );
}

/** A registered version a logged model became (from its `mlflow.modelVersions` tag). */
export interface VersionRef {
  name: string;
  version: string;
}

/** Props of the logged model page. */
export interface LoggedModelPageProps {
  u: Urls;
  model: LoggedModel;
  experiment: Experiment;
  experiments: Experiment[];
  sourceRun?: Run;
  versions: VersionRef[];
  now: number;
  /** The artifact directory shown and its entries (or why they cannot be listed). */
  artifacts: { dir: string; items: ArtifactItem[]; error?: string };
  /** The file previewed below them (`?file=`). */
  preview?: Preview;
  /** The registry is served: the "Register model" form shows. */
  registry: boolean;
}

function Section(
  { id, title, children }: { id: string; title: string; children: ComponentChildren },
) {
  return (
    <section id={id} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}

function ModelArtifacts({ u, model, artifacts: a, preview }: {
  u: Urls;
  model: LoggedModel;
  artifacts: LoggedModelPageProps["artifacts"];
  preview?: Preview;
}): VNode {
  const dirLink = (dir: string, file?: string) =>
    u.loggedModel(model.experimentId, model.modelId, { artifact: dir || undefined, file }) +
    "#artifacts";
  const up = a.dir.includes("/") ? a.dir.slice(0, a.dir.lastIndexOf("/")) : "";
  return (
    <>
      <p class="small">
        <span class="mono">{model.artifactLocation}</span>
        {a.dir && (
          <>
            {" · "}
            <span class="mono">{a.dir}/</span> · <a href={dirLink(up)}>Up</a>
          </>
        )}
      </p>
      {a.error && <p class="error">{a.error}</p>}
      {!a.error && !a.items.length && <p class="muted">No artifacts.</p>}
      {a.items.length > 0 && (
        <table class="grid fit" id="model-artifacts">
          <tbody>
            {a.items.map((f) => (
              <tr key={f.path}>
                <td>
                  {f.isDir ? <a href={dirLink(f.path)}>{f.path.split("/").pop()}/</a> : (
                    <a
                      href={dirLink(a.dir, f.path)}
                      aria-current={f.path === preview?.path ? "true" : undefined}
                    >
                      {f.path.split("/").pop()}
                    </a>
                  )}
                </td>
                <td class="num">{f.isDir ? "" : f.size ?? ""}</td>
                <td>
                  {!f.isDir && (
                    <a class="small" href={u.modelArtifact(model.modelId, f.path)} download>
                      Download
                    </a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {preview && (
        <section class="pane" id="artifact-preview" aria-label="Preview">
          <PreviewPane p={preview} href={u.modelArtifact(model.modelId, preview.path)} />
        </section>
      )}
    </>
  );
}

/** One logged model. */
export function LoggedModelPage(p: LoggedModelPageProps): VNode {
  const { u, model: m, experiment: e } = p;
  const metrics = latestModelMetrics(m.metrics);
  return (
    <Layout
      title={`${m.name} · ${e.name}`}
      u={u}
      sidebar={{ experiments: p.experiments, current: e.experimentId }}
    >
      <div class="crumbs">
        <a href={u.home()}>Experiments</a> / <a href={u.experiment(e.experimentId)}>{e.name}</a>
        {" / "}
        <a href={u.experimentModels(e.experimentId)}>Models</a> / {m.name}
      </div>
      <h1>
        {m.name} <ModelStatus status={m.status} />
      </h1>
      <nav class="sections" aria-label="Sections">
        {[
          ["overview", "Overview"],
          ["params", "Parameters"],
          ["metrics", "Metrics"],
          [
            "artifacts",
            "Artifacts",
          ],
          ["versions", "Registered versions"],
          ["tags", "Tags"],
        ].map(([id, t]) => <a key={id} href={`#${id}`}>{t}</a>)}
      </nav>
      <Section id="overview" title="Overview">
        <table class="kv" id="model-info">
          <tbody>
            <Kv k="Model ID">
              <span class="mono">{m.modelId}</span>
            </Kv>
            <Kv k="Status">
              <ModelStatus status={m.status} />
              {m.statusMessage && <span class="muted">{" " + m.statusMessage}</span>}
            </Kv>
            <Kv k="Source run">
              {m.sourceRunId
                ? (
                  <a href={u.run(p.sourceRun?.info.experimentId ?? m.experimentId, m.sourceRunId)}>
                    {p.sourceRun ? runLabel(p.sourceRun) : m.sourceRunId}
                  </a>
                )
                : <span class="muted">—</span>}
            </Kv>
            <Kv k="Model type">{m.modelType ?? ""}</Kv>
            <Kv k="Created">
              <Time ms={m.creationTimestamp} now={p.now} />
            </Kv>
            <Kv k="Last updated">
              <Time ms={m.lastUpdatedTimestamp} now={p.now} />
            </Kv>
            <Kv k="Artifact location">
              <span class="mono">{m.artifactLocation}</span>
            </Kv>
            <Kv k="URI">
              <span class="mono">models:/{m.modelId}</span>
            </Kv>
          </tbody>
        </table>
      </Section>
      <Section id="params" title="Parameters">
        <KvTable items={m.params} id="model-params" empty="No parameters." />
      </Section>
      <Section id="metrics" title="Metrics">
        {metrics.length
          ? (
            <table class="grid fit" id="model-metrics">
              <ColumnHeads cols={["Metric", "Value", "Step", "Dataset", "Run"]} />
              <tbody>
                {metrics.map((x, i) => (
                  <tr key={i}>
                    <th scope="row">{x.key}</th>
                    <td class="num">
                      <Num v={x.value} />
                    </td>
                    <td class="num">{x.step}</td>
                    <td>
                      {x.datasetName ?? ""}
                      {x.datasetDigest && <span class="muted mono">{` (${x.datasetDigest})`}</span>}
                    </td>
                    <td>
                      {x.runId && (
                        <a href={u.run(m.experimentId, x.runId)}>
                          {p.sourceRun?.info.runId === x.runId
                            ? runLabel(p.sourceRun)
                            : <span class="mono small">{x.runId}</span>}
                        </a>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
          : <p class="muted">No metrics.</p>}
      </Section>
      <Section id="artifacts" title="Artifacts">
        <ModelArtifacts u={u} model={m} artifacts={p.artifacts} preview={p.preview} />
      </Section>
      <Section id="versions" title="Registered versions">
        {p.versions.length
          ? (
            <ul id="model-versions">
              {p.versions.map((v) => (
                <li key={`${v.name}/${v.version}`}>
                  <a href={u.registeredModel(v.name)}>{v.name}</a>{" "}
                  <a href={u.modelVersion(v.name, v.version)}>version {v.version}</a>
                </li>
              ))}
            </ul>
          )
          : <p class="muted">Not registered.</p>}
        {p.registry && (
          <form
            method="post"
            action={u.action(`logged-models/${encodeURIComponent(m.modelId)}/register`)}
            class="inline"
            id="register-form"
          >
            <label>
              Register as <input name="name" required placeholder="registered model name" />
            </label>
            <button type="submit" class="primary">Register model</button>
          </form>
        )}
      </Section>
      <Section id="tags" title="Tags">
        <KvTable items={m.tags} id="model-tags" empty="No tags." />
      </Section>
    </Layout>
  );
}
