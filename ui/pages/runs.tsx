/**
 * An experiment's page: filter box, column chooser, runs table, selection actions, pager. Streamed
 * in two parts: RunsPage (the frame, the experiment's head and the filter box) goes out at once;
 * RunsBody (everything that needs the search) follows in its slot.
 */
import type { ComponentChildren, VNode } from "preact";
import type { Experiment, Run, ViewType } from "../../src/model.ts";
import { FilterBox, type FilterError } from "../components/filter_box.tsx";
import { RunsTable, type Sort } from "../components/runs_table.tsx";
import { Time } from "../components/status.tsx";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** What the page's frame shows before the search is done. */
export interface RunsPageProps {
  u: Urls;
  experiment: Experiment;
  experiments: Experiment[];
  filter: string;
  filterError?: FilterError;
  /** URL state as query pairs (filter, sort, dir, view, cols, n), for links that keep it. */
  state: Record<string, string | undefined>;
  /** The body (RunsBody, or a Slot when streamed). */
  children: ComponentChildren;
}

/** Everything below the filter box. */
export interface RunsBodyProps {
  u: Urls;
  experiment: Experiment;
  runs: Run[];
  sort: Sort;
  view: ViewType;
  /** Chosen columns (`metrics.k`, `params.k`, `tags.k`) and every column seen on this page. */
  columns: string[];
  available: string[];
  pageSize: number;
  /** Index of the page's first run in the whole result. */
  offset: number;
  pageToken?: string;
  nextPageToken?: string;
  /** Token of the previous page; undefined on the first two pages (the first has none). */
  prevPageToken?: string;
  state: Record<string, string | undefined>;
  now: number;
}

const VIEWS: [ViewType, string][] = [["ACTIVE_ONLY", "Active"], ["DELETED_ONLY", "Deleted"], [
  "ALL",
  "All",
]];

/** The runs page's frame: header, sidebar, the experiment's head, the filter box, the body. */
export function RunsPage(p: RunsPageProps): VNode {
  const { u, experiment: e } = p;
  const here = u.experiment(e.experimentId);
  return (
    <Layout
      title={e.name}
      u={u}
      sidebar={{ experiments: p.experiments, current: e.experimentId }}
    >
      <div class="crumbs">
        <a href={u.home()}>Experiments</a> / {e.experimentId}
      </div>
      <h1>
        {e.name} {e.lifecycleStage === "deleted" && <span class="badge deleted">deleted</span>}
      </h1>
      <p class="muted small">
        Experiment ID <span class="mono">{e.experimentId}</span> · Artifact location{" "}
        <span class="mono">{e.artifactLocation}</span> · Created <Time ms={e.creationTime} />
      </p>
      <FilterBox
        action={here}
        filter={p.filter}
        error={p.filterError}
        keep={{ ...p.state, filter: undefined, page: undefined }}
      />
      {p.children}
    </Layout>
  );
}

/** The runs page's body: views, columns, the table with its actions, the pager. */
export function RunsBody(p: RunsBodyProps): VNode {
  const { u, experiment: e } = p;
  const here = u.experiment(e.experimentId);
  const link = (over: Record<string, string | undefined>) =>
    u.experiment(e.experimentId, { ...p.state, page: undefined, ...over });
  const running = p.runs.filter((r) => r.info.status === "RUNNING").map((r) => r.info.runId);
  const chosen = new Set(p.columns);
  const first = p.runs.length ? p.offset + 1 : 0, last = p.offset + p.runs.length;
  return (
    <>
      <div class="toolbar">
        <span class="muted">Show:</span>
        {VIEWS.map(([v, label]) =>
          v === p.view
            ? <strong key={v}>{label}</strong>
            : <a key={v} href={link({ view: v === "ACTIVE_ONLY" ? undefined : v })}>{label}</a>
        )}
        <span class="muted">·</span>
        <ColumnChooser
          action={here}
          state={p.state}
          available={p.available}
          chosen={chosen}
        />
      </div>
      <form method="get" action={u.compare([])} id="runs-form">
        <div class="toolbar">
          <button type="submit" name="from" value={e.experimentId}>Compare selected</button>
          {p.view !== "DELETED_ONLY" && (
            <button
              type="submit"
              class="danger"
              formmethod="post"
              formaction={u.action(`experiments/${encodeURIComponent(e.experimentId)}/runs/delete`)}
            >
              Delete selected
            </button>
          )}
          {p.view !== "ACTIVE_ONLY" && (
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
              ? `Runs ${first}–${last}${p.nextPageToken ? "" : ` of ${last}`}`
              : "No runs"} · times in UTC
          </span>
          {running.length > 0 && (
            <span class="live" data-live-statuses={u.liveStatuses(running)}>● live</span>
          )}
        </div>
        <RunsTable
          u={u}
          runs={p.runs}
          columns={p.columns}
          sort={p.sort}
          now={p.now}
          sortHref={(col, desc) => link({ sort: col, dir: desc ? "desc" : "asc" })}
        />
      </form>
      <nav class="pager" aria-label="Pages">
        {p.pageToken ? <a href={link({})}>« First</a> : <span class="muted">« First</span>}
        {p.pageToken
          ? <a href={link({ page: p.prevPageToken })} rel="prev">‹ Previous page</a>
          : <span class="muted">‹ Previous page</span>}
        {p.nextPageToken
          ? <a href={link({ page: p.nextPageToken })} rel="next">Next page ›</a>
          : <span class="muted">Next page ›</span>}
        <form class="inline" action={here} method="get">
          {Object.entries({ ...p.state, n: undefined, page: undefined }).map(([k, v]) =>
            v ? <input key={k} type="hidden" name={k} value={v} /> : null
          )}
          <label>
            Rows per page{" "}
            <select name="n" aria-label="Rows per page">
              {[25, 100, 250, 1000].map((n) => (
                <option key={n} value={n} selected={n === p.pageSize}>{n}</option>
              ))}
            </select>
          </label>
          <button type="submit">Apply</button>
        </form>
      </nav>
      <ManageExperiment u={u} e={e} />
    </>
  );
}

function ColumnChooser(
  { action, state, available, chosen }: {
    action: string;
    state: Record<string, string | undefined>;
    available: string[];
    chosen: Set<string>;
  },
): VNode {
  return (
    <details class="cols">
      <summary>Columns ({chosen.size} of {available.length})</summary>
      <form action={action} method="get">
        {Object.entries({ ...state, cols: undefined, page: undefined }).map(([k, v]) =>
          v ? <input key={k} type="hidden" name={k} value={v} /> : null
        )}
        <input type="hidden" name="cols" value="" />
        <div class="opts">
          {available.map((c) => (
            <label key={c}>
              <input type="checkbox" name="col" value={c} checked={chosen.has(c)} /> {c}
            </label>
          ))}
          {available.length === 0 && <span class="muted">No params, metrics or tags yet.</span>}
        </div>
        <button type="submit">Show columns</button>
      </form>
    </details>
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
