/**
 * An experiment's page: its description and tags, the filter box, and two tabs over the same
 * runs (the current filter, sort and page): the runs table and the charts (experiment_charts.tsx).
 * Streamed in two parts: RunsPage (the frame) goes out at once; the tab's body follows in its slot.
 */
import type { ComponentChildren, VNode } from "preact";
import { type Experiment, type Run, TAG } from "../../src/model.ts";
import { FilterBox, type FilterError } from "../components/filter_box.tsx";
import { RunsTable } from "../components/runs_table.tsx";
import { Time } from "../components/status.tsx";
import { Description, TagsEditor } from "../components/tags_editor.tsx";
import { ColumnChooser, GroupingForm, Hidden } from "../components/view_forms.tsx";
import { type ExperimentState, keptFields, stateQuery } from "../experiment_state.ts";
import type { RunGroup } from "../grouping.ts";
import { Layout } from "../layout.tsx";
import { type AvailableColumns, columnList, type TableColumns } from "../runs_query.ts";
import type { Urls } from "../urls.ts";

/** What the page's frame shows before the search is done. */
export interface RunsPageProps {
  u: Urls;
  experiment: Experiment;
  experiments: Experiment[];
  state: ExperimentState;
  filterError?: FilterError;
  now: number;
  /** The body (RunsBody or ChartsBody, or a Slot when streamed). */
  children: ComponentChildren;
}

/** Paging of the current result. */
export interface PageInfo {
  /** Index of the page's first run in the whole result. */
  offset: number;
  nextPageToken?: string;
  /** Token of the previous page; undefined on the first two pages (the first has none). */
  prevPageToken?: string;
}

/** The table tab. */
export interface RunsBodyProps {
  u: Urls;
  experiment: Experiment;
  runs: Run[];
  state: ExperimentState;
  columns: TableColumns;
  available: AvailableColumns;
  /** Min and max columns' values: run id → column id → value. */
  stats: Map<string, Map<string, number>>;
  colors: Map<string, string>;
  groups?: RunGroup[];
  paging: PageInfo;
  now: number;
}

const VIEWS: [string, string][] = [["ACTIVE_ONLY", "Active"], ["DELETED_ONLY", "Deleted"], [
  "ALL",
  "All",
]];

/** Link to this experiment with the state changed by `over` (and back on the first page). */
export function stateLink(
  u: Urls,
  e: Experiment,
  s: ExperimentState,
  over: Record<string, string | string[] | undefined>,
): string {
  return u.experiment(e.experimentId, { ...stateQuery(s), page: undefined, ...over });
}

/** The experiment's frame: header, sidebar, description, tags, the filter box, tabs. */
export function RunsPage(p: RunsPageProps): VNode {
  const { u, experiment: e, state: s } = p;
  const base = `experiments/${encodeURIComponent(e.experimentId)}`;
  const note = e.tags.find((t) => t.key === TAG.note)?.value ?? "";
  const tags = e.tags.filter((t) => !t.key.startsWith("mlflow."));
  const tab = (name: "table" | "charts", label: string) =>
    s.tab === name
      ? <a aria-current="page" href={stateLink(u, e, s, { tab: undefined })}>{label}</a>
      : <a href={stateLink(u, e, s, { tab: name === "charts" ? "charts" : undefined })}>{label}</a>;
  return (
    <Layout
      title={e.name}
      u={u}
      sidebar={{ experiments: p.experiments, current: e.experimentId }}
    >
      <div class="crumbs">
        <a href={u.home()}>Experiments</a> / {e.name}
      </div>
      <h1>
        {e.name} {e.lifecycleStage === "deleted" && <span class="badge deleted">deleted</span>}
      </h1>
      <p class="muted small">
        Experiment ID <span class="mono">{e.experimentId}</span> · Artifact location{" "}
        <span class="mono">{e.artifactLocation}</span> · Created{" "}
        <Time ms={e.creationTime} now={p.now} utc={s.utc} />
      </p>
      <details class="about" open={note !== "" || undefined}>
        <summary>
          Description and tags{tags.length
            ? ` (${tags.length} tag${tags.length > 1 ? "s" : ""})`
            : ""}
        </summary>
        <Description text={note} action={u.action(`${base}/description`)} />
        <TagsEditor
          tags={tags}
          id="experiment-tags"
          setAction={u.action(`${base}/tags`)}
          deleteAction={u.action(`${base}/tags/delete`)}
          deletable={() => true}
        />
      </details>
      <FilterBox
        action={u.experiment(e.experimentId)}
        filter={s.filter}
        error={p.filterError}
        keep={Object.fromEntries(keptFields(s, ["filter"]))}
      />
      <nav class="tabs" aria-label="Views of the runs">
        {tab("table", "Table")}
        {tab("charts", "Charts")}
        <a href={u.experimentModels(e.experimentId)}>Models</a>
      </nav>
      {p.children}
    </Layout>
  );
}

/** Columns runs can be grouped by: every param and non-system tag. */
export function groupColumns(available: AvailableColumns): string[] {
  return [...available.params, ...available.tags];
}

/** The table tab: views, grouping, columns, CSV, the table with its actions, the pager. */
export function RunsBody(p: RunsBodyProps): VNode {
  const { u, experiment: e, state: s } = p;
  const here = u.experiment(e.experimentId);
  const link = (over: Record<string, string | string[] | undefined>) => stateLink(u, e, s, over);
  const running = p.runs.filter((r) => r.info.status === "RUNNING").map((r) => r.info.runId);
  const first = p.runs.length ? p.paging.offset + 1 : 0, last = p.paging.offset + p.runs.length;
  const expanded = new Set(s.grouping.expand);
  const toggle = (key: string) =>
    link({
      expand: expanded.has(key)
        ? s.grouping.expand.filter((k) => k !== key)
        : [...s.grouping.expand, key],
    });
  return (
    <>
      <div class="toolbar">
        <span class="muted">Show:</span>
        {VIEWS.map(([v, label]) =>
          v === s.view
            ? <strong key={v}>{label}</strong>
            : <a key={v} href={link({ view: v === "ACTIVE_ONLY" ? undefined : v })}>{label}</a>
        )}
        <span class="muted">·</span>
        <ColumnChooser
          action={here}
          keep={keptFields(s, ["cols"])}
          available={p.available}
          chosen={new Set(columnList(p.columns))}
        />
        <a href={link({ tz: s.utc ? undefined : "utc" })}>
          {s.utc ? "Relative times" : "Times in UTC"}
        </a>
        <span class="muted">·</span>
        <a
          href={u.experimentCsv(e.experimentId, {
            ...stateQuery(s),
            page: undefined,
            cols: columnList(p.columns).join(","),
          })}
          download
        >
          Download CSV
        </a>
        <span class="muted small">(every page of this view)</span>
      </div>
      <GroupingForm
        action={here}
        grouping={s.grouping}
        columns={groupColumns(p.available)}
        keep={keptFields(s, ["group", "split", "agg", "band", "expand"])}
      />
      <form method="get" action={u.compare([])} id="runs-form">
        <div class="toolbar">
          <button type="submit" name="from" value={e.experimentId}>Compare selected</button>
          {s.view !== "DELETED_ONLY" && (
            <button
              type="submit"
              class="danger"
              formmethod="post"
              formaction={u.action(`experiments/${encodeURIComponent(e.experimentId)}/runs/delete`)}
            >
              Delete selected
            </button>
          )}
          {s.view !== "ACTIVE_ONLY" && (
            <button
              type="submit"
              formmethod="post"
              formaction={u.action(
                `experiments/${encodeURIComponent(e.experimentId)}/runs/restore`,
              )}
            >
              Restore selected
            </button>
          )}
          <span class="muted small">
            {p.runs.length
              ? `Runs ${first}–${last}${p.paging.nextPageToken ? "" : ` of ${last}`}`
              : "No runs"}
            {p.groups ? ` in ${p.groups.length} group${p.groups.length === 1 ? "" : "s"}` : ""}
          </span>
          {running.length > 0 && (
            <span class="live" data-live-statuses={u.liveStatuses(running)}>● live</span>
          )}
        </div>
        <RunsTable
          u={u}
          runs={p.runs}
          columns={p.columns}
          sort={s.sort}
          now={p.now}
          utc={s.utc}
          colors={p.colors}
          stats={p.stats}
          sysOpen={s.sys}
          sysHref={link({ sys: s.sys ? undefined : "1" })}
          groups={p.groups ? { list: p.groups, open: expanded, toggleHref: toggle } : undefined}
          sortHref={(col, desc) => link({ sort: col, dir: desc ? "desc" : "asc" })}
        />
      </form>
      <Pager u={u} e={e} s={s} paging={p.paging} hasRuns={p.runs.length > 0} />
      <ManageExperiment u={u} e={e} />
    </>
  );
}

/** The pager and the rows-per-page choice. */
export function Pager(
  { u, e, s, paging }: {
    u: Urls;
    e: Experiment;
    s: ExperimentState;
    paging: PageInfo;
    hasRuns: boolean;
  },
): VNode {
  const link = (over: Record<string, string | undefined>) => stateLink(u, e, s, over);
  return (
    <nav class="pager" aria-label="Pages">
      {s.pageToken ? <a href={link({})}>« First</a> : <span class="muted">« First</span>}
      {s.pageToken
        ? <a href={link({ page: paging.prevPageToken })} rel="prev">‹ Previous page</a>
        : <span class="muted">‹ Previous page</span>}
      {paging.nextPageToken
        ? <a href={link({ page: paging.nextPageToken })} rel="next">Next page ›</a>
        : <span class="muted">Next page ›</span>}
      <form class="inline" action={u.experiment(e.experimentId)} method="get">
        <Hidden pairs={keptFields(s, ["n"])} />
        <label>
          Rows per page{" "}
          <select name="n" aria-label="Rows per page">
            {[25, 100, 250, 1000].map((n) => (
              <option key={n} value={n} selected={n === s.n}>{n}</option>
            ))}
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
    </nav>
  );
}

function ManageExperiment({ u, e }: { u: Urls; e: Experiment }): VNode {
  const base = `experiments/${encodeURIComponent(e.experimentId)}`;
  return (
    <details class="manage">
      <summary>Manage experiment</summary>
      {e.lifecycleStage === "active"
        ? (
          <div class="toolbar">
            <form class="inline" method="post" action={u.action(`${base}/rename`)}>
              <input name="name" value={e.name} aria-label="New name" required />
              <button type="submit">Rename</button>
            </form>
            <form class="inline" method="post" action={u.action(`${base}/delete`)}>
              <button type="submit" class="danger">Delete experiment</button>
            </form>
          </div>
        )
        : (
          <form class="inline" method="post" action={u.action(`${base}/restore`)}>
            <button type="submit">Restore experiment</button>
          </form>
        )}
    </details>
  );
}
