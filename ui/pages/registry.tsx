/**
 * The model registry's pages: the registered models (searched by name, paged) and one registered
 * model with its versions (aliases, stage, source linked to its run and logged model), tags and
 * the alias forms.
 */
import type { VNode } from "preact";
import type { ModelVersion, RegisteredModel } from "../../src/registry_model.ts";
import { ColumnHeads } from "../components/kv_table.tsx";
import { Description, TagsEditor } from "../components/tags_editor.tsx";
import { ModelStatus } from "../components/logged_models.tsx";
import { Time } from "../components/status.tsx";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** Props of the registered models list. */
export interface RegistryPageProps {
  u: Urls;
  models: RegisteredModel[];
  query: string;
  now: number;
  nextPageToken?: string;
  /** The registry is not served: the page says so. */
  unavailable?: boolean;
}

function latestVersion(m: RegisteredModel): number | undefined {
  const vs = m.latestVersions.map((v) => Number(v.version));
  return vs.length ? Math.max(...vs) : undefined;
}

/** The registered models. */
export function RegistryPage(p: RegistryPageProps): VNode {
  const { u } = p;
  return (
    <Layout title="Models" u={u}>
      <div class="crumbs">Models</div>
      <h1>Registered models</h1>
      {p.unavailable ? <p class="muted">This server has no model registry.</p> : (
        <>
          <form method="get" action={u.registry()} class="filter" role="search">
            <input
              type="search"
              name="q"
              value={p.query}
              placeholder="Search models by name"
              aria-label="Search models by name"
            />
            <button type="submit">Search</button>
          </form>
          {p.models.length
            ? (
              <div class="tablewrap">
                <table class="grid" id="registered-models">
                  <ColumnHeads
                    cols={["Name", "Latest version", "Aliases", "Last modified", "Description"]}
                  />
                  <tbody>
                    {p.models.map((m) => {
                      const latest = latestVersion(m);
                      return (
                        <tr key={m.name}>
                          <td>
                            <a href={u.registeredModel(m.name)}>{m.name}</a>
                          </td>
                          <td>{latest === undefined ? "" : `Version ${latest}`}</td>
                          <td>
                            {m.aliases.map((a) => (
                              <span key={a.alias} class="tag small">@{a.alias}: v{a.version}</span>
                            ))}
                          </td>
                          <td>
                            <Time ms={m.lastUpdatedTimestamp} now={p.now} />
                          </td>
                          <td>{m.description ?? ""}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )
            : (
              <p class="muted" id="no-registered-models">
                {p.query
                  ? `No registered model name contains "${p.query}".`
                  : "No registered models yet. Register a logged model from its page."}
              </p>
            )}
          {p.nextPageToken && (
            <p>
              <a href={u.registry({ q: p.query || undefined, page: p.nextPageToken })} rel="next">
                Next page ›
              </a>
            </p>
          )}
        </>
      )}
    </Layout>
  );
}

/** Where a version's run and logged model pages are (experiments looked up by the route). */
export interface VersionLinks {
  /** Run id → its experiment id and name. */
  runs: Map<string, { experimentId: string; label: string }>;
  /** Logged model id → its experiment id. */
  models: Map<string, string>;
}

/** The logged model id a version was made from: its model id, or a `models:/m-…` source. */
export function versionModelId(v: ModelVersion): string | undefined {
  if (v.modelId) return v.modelId;
  const m = /^models:\/(m-[0-9a-f]+)\/?$/.exec(v.source ?? "");
  return m?.[1];
}

/** Props of a registered model's page. */
export interface RegisteredModelPageProps {
  u: Urls;
  model: RegisteredModel;
  versions: ModelVersion[];
  links: VersionLinks;
  now: number;
}

/** A version's source, linked to its logged model, and its run, linked by name. */
export function VersionSource({ u, v, links }: { u: Urls; v: ModelVersion; links: VersionLinks }) {
  const modelId = versionModelId(v);
  const modelExp = modelId ? links.models.get(modelId) : undefined;
  const run = v.runId ? links.runs.get(v.runId) : undefined;
  return (
    <>
      {modelId && modelExp
        ? <a href={u.loggedModel(modelExp, modelId)} class="mono">{v.source}</a>
        : <span class="mono">{v.source ?? ""}</span>}
      {v.runId && (
        <span class="small">
          {" · run "}
          {run
            ? <a href={u.run(run.experimentId, v.runId)}>{run.label}</a>
            : <span class="mono">{v.runId}</span>}
        </span>
      )}
    </>
  );
}

/** One registered model: overview, versions, aliases forms, tags. */
export function RegisteredModelPage(p: RegisteredModelPageProps): VNode {
  const { u, model: m } = p;
  const base = `registered-models/${encodeURIComponent(m.name)}`;
  const byVersion = new Map<number, string[]>();
  for (const a of m.aliases) {
    const v = Number(a.version);
    byVersion.set(v, [...byVersion.get(v) ?? [], a.alias]);
  }
  return (
    <Layout title={`${m.name} · Models`} u={u}>
      <div class="crumbs">
        <a href={u.registry()}>Models</a> / {m.name}
      </div>
      <h1>{m.name}</h1>
      <p class="muted small">
        Created <Time ms={m.creationTimestamp} now={p.now} /> · Last modified{" "}
        <Time ms={m.lastUpdatedTimestamp} now={p.now} />
      </p>
      <div id="model-description">
        <Description text={m.description ?? ""} action={u.action(`${base}/description`)} />
      </div>
      <h2>Versions</h2>
      {p.versions.length
        ? (
          <div class="tablewrap">
            <table class="grid" id="model-versions">
              <ColumnHeads cols={["Version", "Aliases", "Stage", "Source", "Created", "Status"]} />
              <tbody>
                {p.versions.map((v) => (
                  <tr key={v.version} id={`version-${v.version}`}>
                    <td>
                      <a href={u.modelVersion(v.name, v.version)}>Version {v.version}</a>
                    </td>
                    <td>
                      {(byVersion.get(Number(v.version)) ?? []).map((a) => (
                        <span key={a} class="tag small">@{a}</span>
                      ))}
                    </td>
                    <td>{v.currentStage}</td>
                    <td>
                      <VersionSource u={u} v={v} links={p.links} />
                    </td>
                    <td>
                      <Time ms={v.creationTimestamp} now={p.now} />
                    </td>
                    <td>
                      <ModelStatus status={v.status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
        : <p class="muted">No versions.</p>}
      <h2>Aliases</h2>
      <form method="post" action={u.action(`${base}/alias`)} class="inline" id="alias-form">
        <label>
          Alias <input name="alias" required placeholder="champion" />
        </label>
        <label>
          Version <input name="version" required inputMode="numeric" size={6} />
        </label>
        <button type="submit">Set alias</button>
      </form>
      {m.aliases.length > 0 && (
        <ul id="aliases">
          {m.aliases.map((a) => (
            <li key={a.alias}>
              @{a.alias} → version {a.version}{" "}
              <form method="post" action={u.action(`${base}/alias/delete`)} class="inline">
                <input type="hidden" name="alias" value={a.alias} />
                <button type="submit" class="danger">Remove</button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <h2 id="tags">Tags</h2>
      <TagsEditor
        tags={m.tags}
        id="registered-model-tags"
        setAction={u.action(`${base}/tags`)}
        deleteAction={u.action(`${base}/tags/delete`)}
        deletable={() => true}
      />
    </Layout>
  );
}
