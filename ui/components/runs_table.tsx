/** The runs table: fixed columns, chosen param/metric/tag columns, sortable headers, nesting. */
import type { VNode } from "preact";
import { type Run, TAG } from "../../src/model.ts";
import { formatDuration, runDuration, runLabel, runSource, runUser, tagValue } from "../format.ts";
import type { Urls } from "../urls.ts";
import { Num, StatusBadge, Time } from "./status.tsx";

/** The sort state: a column id and a direction. */
export interface Sort {
  col: string;
  desc: boolean;
}

/** Fixed columns: id, header, whether the store can sort by it. */
export const FIXED_COLUMNS: { id: string; label: string; sortable: boolean }[] = [
  { id: "name", label: "Run name", sortable: true },
  { id: "status", label: "Status", sortable: true },
  { id: "start", label: "Created", sortable: true },
  { id: "duration", label: "Duration", sortable: false },
  { id: "user", label: "User", sortable: true },
  { id: "source", label: "Source", sortable: true },
  { id: "version", label: "Version", sortable: true },
];

/** Props of RunsTable. */
export interface RunsTableProps {
  u: Urls;
  runs: Run[];
  /** Chosen columns as `metrics.k`, `params.k`, `tags.k`. */
  columns: string[];
  sort: Sort;
  /** Link for sorting by a column in a direction (keeps the rest of the URL state). */
  sortHref: (col: string, desc: boolean) => string;
  now: number;
}

// Cells carry no per-cell attributes beyond what they need: 10,000 cells must stay light.
function cell(run: Run, col: string): VNode {
  const dot = col.indexOf(".");
  const kind = col.slice(0, dot), key = col.slice(dot + 1);
  if (kind === "metrics") {
    const m = run.data.metrics.find((x) => x.key === key);
    return <td class="num">{m && <Num v={m.value} />}</td>;
  }
  const list = kind === "params" ? run.data.params : run.data.tags;
  const v = list.find((x) => x.key === key)?.value ?? "";
  // Long values are cut off by the column: the tooltip shows them whole.
  return <td title={v.length > 24 ? v : undefined}>{v}</td>;
}

function Row(
  { u, run, columns, now, child, kids }: {
    u: Urls;
    run: Run;
    columns: string[];
    now: number;
    child?: boolean;
    kids?: number;
  },
): VNode {
  const i = run.info;
  const commit = tagValue(run, TAG.gitCommit) ?? "";
  const parent = tagValue(run, TAG.parentRunId);
  return (
    <tr
      data-run-id={i.runId}
      data-parent={child ? parent : undefined}
      class={child ? "child" : undefined}
    >
      <td>
        <input type="checkbox" name="runs" value={i.runId} aria-label={`Select ${runLabel(run)}`} />
      </td>
      <td>
        {kids
          ? (
            <button type="button" class="copy" data-toggle-children={i.runId} aria-expanded="true">
              ▾ {kids}
            </button>
          )
          : null} <a href={u.run(i.experimentId, i.runId)}>{runLabel(run)}</a>
        {!child && parent && <span class="muted small" title={`Child of ${parent}`}>↳</span>}
      </td>
      <td data-live-status>
        <StatusBadge status={i.status} deleted={i.lifecycleStage === "deleted"} />
      </td>
      <td>
        <Time ms={i.startTime} />
      </td>
      <td class="num" data-live-duration>{formatDuration(runDuration(run, now))}</td>
      <td>{runUser(run)}</td>
      <td title={tagValue(run, TAG.sourceName)}>{runSource(run)}</td>
      <td class="mono" title={commit}>{commit.slice(0, 7)}</td>
      {columns.map((c) => cell(run, c))}
    </tr>
  );
}

function Header(
  { id, label, group, sortable, sort, sortHref }: {
    id: string;
    label: string;
    group?: string;
    sortable: boolean;
    sort: Sort;
    sortHref: RunsTableProps["sortHref"];
  },
): VNode {
  if (!sortable) return <th scope="col">{label}</th>;
  const active = sort.col === id;
  const arrow = active ? (sort.desc ? " ↓" : " ↑") : "";
  return (
    <th
      scope="col"
      data-col={group ? id : undefined}
      aria-sort={active ? (sort.desc ? "descending" : "ascending") : undefined}
    >
      <a
        class="sort"
        href={sortHref(id, active ? !sort.desc : id === "start")}
        data-active={active ? "1" : undefined}
        title={group ? `${group}: ${label}` : undefined}
      >
        {group && <span class="grp">{group}</span>}
        {label}
        {arrow}
      </a>
    </th>
  );
}

/** Orders runs so children follow their parent when both are on the page. */
export function nestRuns(runs: Run[]): { run: Run; child: boolean; kids: number }[] {
  const ids = new Set(runs.map((r) => r.info.runId));
  const kids = new Map<string, Run[]>();
  for (const r of runs) {
    const p = tagValue(r, TAG.parentRunId);
    if (p && ids.has(p) && p !== r.info.runId) {
      if (!kids.has(p)) kids.set(p, []);
      kids.get(p)!.push(r);
    }
  }
  const out: { run: Run; child: boolean; kids: number }[] = [];
  const placed = new Set<string>();
  const place = (r: Run, child: boolean) => {
    if (placed.has(r.info.runId)) return;
    placed.add(r.info.runId);
    const ks = kids.get(r.info.runId) ?? [];
    out.push({ run: r, child, kids: ks.length });
    for (const k of ks) place(k, true);
  };
  for (const r of runs) {
    const p = tagValue(r, TAG.parentRunId);
    if (!(p && ids.has(p) && p !== r.info.runId)) place(r, false);
  }
  for (const r of runs) place(r, true); // cycles: still show every run once
  return out;
}

/** The runs table. */
export function RunsTable(p: RunsTableProps): VNode {
  const groups: [string, string[]][] = [["metrics", []], ["params", []], ["tags", []]];
  for (const c of p.columns) groups.find(([g]) => c.startsWith(g + "."))?.[1].push(c);
  const cols = groups.flatMap(([, cs]) => cs);
  return (
    <div class="tablewrap">
      <table class="grid runs" id="runs-table">
        <thead>
          <tr>
            <th scope="col">
              <input type="checkbox" data-select-all="runs" aria-label="Select all runs" />
            </th>
            {FIXED_COLUMNS.map((c) => (
              <Header key={c.id} {...c} sort={p.sort} sortHref={p.sortHref} />
            ))}
            {cols.map((c) => {
              const dot = c.indexOf(".");
              return (
                <Header
                  key={c}
                  id={c}
                  label={c.slice(dot + 1)}
                  group={c.slice(0, dot) === "metrics"
                    ? "metric"
                    : c.slice(0, dot) === "params"
                    ? "param"
                    : "tag"}
                  sortable
                  sort={p.sort}
                  sortHref={p.sortHref}
                />
              );
            })}
          </tr>
        </thead>
        <tbody>
          {nestRuns(p.runs).map((r) => (
            <Row
              key={r.run.info.runId}
              u={p.u}
              run={r.run}
              columns={cols}
              now={p.now}
              child={r.child}
              kids={r.kids}
            />
          ))}
        </tbody>
      </table>
      {p.runs.length === 0 && <p class="empty">No runs match.</p>}
    </div>
  );
}
