/**
 * The runs table: the run name pinned on the left with the run's chart colour, fixed columns,
 * then params, user metrics, system metrics (a collapsible group) and tags; sortable headers;
 * parent runs with their children; or, grouped, one row per group with its runs beneath.
 */
import type { VNode } from "preact";
import { type Run, TAG } from "../../src/model.ts";
import { formatDuration, runDuration, runLabel, runSource, runUser, tagValue } from "../format.ts";
import type { RunGroup } from "../grouping.ts";
import { parseColumn, type TableColumns } from "../runs_query.ts";
import type { Urls } from "../urls.ts";
import { Num, StatusBadge, Time } from "./status.tsx";

/** The sort state: a column id and a direction. */
export interface Sort {
  col: string;
  desc: boolean;
}

/** Fixed columns after the name: id, header, whether the store can sort by it. */
export const FIXED_COLUMNS: { id: string; label: string; sortable: boolean }[] = [
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
  columns: TableColumns;
  sort: Sort;
  /** Link for sorting by a column in a direction (keeps the rest of the URL state). */
  sortHref: (col: string, desc: boolean) => string;
  now: number;
  utc: boolean;
  /** Each run's chart colour. */
  colors: Map<string, string>;
  /** Lowest and highest values read from histories: run id → column id → value. */
  stats: Map<string, Map<string, number>>;
  /** System metric columns shown, and the link that toggles them. */
  sysOpen: boolean;
  sysHref: string;
  /** Grouped rows: the groups, which are open, and the link that toggles one. */
  groups?: { list: RunGroup[]; open: Set<string>; toggleHref: (key: string) => string };
}

function metricCell(run: Run, id: string, p: RunsTableProps, cls?: string): VNode {
  const c = parseColumn(id)!;
  const v = c.agg === "latest"
    ? run.data.metrics.find((x) => x.key === c.key)?.value
    : p.stats.get(run.info.runId)?.get(id);
  return <td class={cls ? `num ${cls}` : "num"}>{v !== undefined && <Num v={v} />}</td>;
}

function textCell(run: Run, id: string): VNode {
  const c = parseColumn(id)!;
  const list = c.kind === "params" ? run.data.params : run.data.tags;
  const v = list.find((x) => x.key === c.key)?.value ?? "";
  // Long values are cut off by the column: the tooltip shows them whole.
  return <td title={v.length > 24 ? v : undefined}>{v}</td>;
}

// Cells carry no per-cell attributes beyond what they need: 10,000 cells must stay light.
function Cells({ run, p }: { run: Run; p: RunsTableProps }): VNode {
  const { params, metrics, system, tags } = p.columns;
  return (
    <>
      {params.map((c) => textCell(run, c))}
      {metrics.map((c) => metricCell(run, c, p))}
      {system.length > 0 && <td class="sys-stub" />}
      {system.map((c) => metricCell(run, c, p, "sys"))}
      {tags.map((c) => textCell(run, c))}
    </>
  );
}

function Row(
  { run, p, child, kids, hidden, group }: {
    run: Run;
    p: RunsTableProps;
    child?: boolean;
    kids?: number;
    hidden?: boolean;
    group?: string;
  },
): VNode {
  const i = run.info;
  const commit = tagValue(run, TAG.gitCommit) ?? "";
  const parent = tagValue(run, TAG.parentRunId);
  const color = p.colors.get(i.runId);
  return (
    <tr
      data-run-id={i.runId}
      data-parent={child ? parent : undefined}
      data-group={group}
      class={child ? "child" : group !== undefined ? "in-group" : undefined}
      hidden={hidden}
    >
      <td class="pin sel">
        <input type="checkbox" name="runs" value={i.runId} aria-label={`Select ${runLabel(run)}`} />
      </td>
      <td class="pin name">
        {kids
          ? (
            <button type="button" class="copy" data-toggle-children={i.runId} aria-expanded="true">
              ▾ {kids}
            </button>
          )
          : null}
        {color && <i class="sw" style={`background:${color}`} />}
        <a href={p.u.run(i.experimentId, i.runId)}>{runLabel(run)}</a>
        {!child && parent && <span class="muted small" title={`Child of ${parent}`}>↳</span>}
      </td>
      <td data-live-status>
        <StatusBadge status={i.status} deleted={i.lifecycleStage === "deleted"} />
      </td>
      <td>
        <Time ms={i.startTime} now={p.now} utc={p.utc} />
      </td>
      <td class="num" data-live-duration>{formatDuration(runDuration(run, p.now))}</td>
      <td>{runUser(run)}</td>
      <td title={tagValue(run, TAG.sourceName)}>{runSource(run)}</td>
      <td class="mono" title={commit}>{commit.slice(0, 7)}</td>
      <Cells run={run} p={p} />
    </tr>
  );
}

function Header(
  { id, label, group, sortable, p, cls }: {
    id: string;
    label: string;
    group?: string;
    sortable: boolean;
    p: RunsTableProps;
    cls?: string;
  },
): VNode {
  if (!sortable) {
    return (
      <th scope="col" class={cls} data-col={group ? id : undefined}>
        {group && <span class="grp">{group}</span>}
        {label}
      </th>
    );
  }
  const active = p.sort.col === id;
  const arrow = active ? (p.sort.desc ? " ↓" : " ↑") : "";
  return (
    <th
      scope="col"
      class={cls}
      data-col={group ? id : undefined}
      aria-sort={active ? (p.sort.desc ? "descending" : "ascending") : undefined}
    >
      <a
        class="sort"
        href={p.sortHref(id, active ? !p.sort.desc : id === "start")}
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

function metricHeader(id: string, p: RunsTableProps, group: string, cls?: string): VNode {
  const c = parseColumn(id)!;
  const label = c.agg === "latest" ? c.key : `${c.key} (${c.agg})`;
  // The store sorts by latest values only; min and max are read per page.
  return (
    <Header
      key={id}
      id={id}
      label={label}
      group={group}
      sortable={c.agg === "latest"}
      p={p}
      cls={cls}
    />
  );
}

/** A group's row: its colour, name, count and toggle; the mean of each metric column. */
function GroupRow({ g, p }: { g: RunGroup; p: RunsTableProps }): VNode {
  const open = p.groups!.open.has(g.key);
  const mean = (id: string) => {
    const c = parseColumn(id)!;
    let sum = 0, n = 0;
    for (const r of g.runs) {
      const v = c.agg === "latest"
        ? r.data.metrics.find((x) => x.key === c.key)?.value
        : p.stats.get(r.info.runId)?.get(id);
      if (v !== undefined && Number.isFinite(v)) [sum, n] = [sum + v, n + 1];
    }
    return <td class="num" title="mean over the group">{n > 0 && <Num v={sum / n} />}</td>;
  };
  const common = (id: string) => {
    const c = parseColumn(id)!;
    const vals = new Set(
      g.runs.map((r) =>
        (c.kind === "params" ? r.data.params : r.data.tags).find((x) => x.key === c.key)?.value
      ),
    );
    const [only] = vals;
    return (
      <td class={vals.size > 1 ? "muted" : undefined}>
        {vals.size === 1 ? only ?? "" : `${vals.size} values`}
      </td>
    );
  };
  const { params, metrics, system, tags } = p.columns;
  return (
    <tr class="group" data-group-key={g.key}>
      <td class="pin sel" />
      <td class="pin name">
        <a
          class="toggle"
          href={p.groups!.toggleHref(g.key)}
          data-toggle-group={g.key}
          aria-expanded={open ? "true" : "false"}
        >
          {open ? "▾" : "▸"}
        </a>
        <i class="sw" style={`background:${g.color}`} />
        <strong>{g.label}</strong> <span class="muted small">{g.runs.length} runs</span>
      </td>
      <td colSpan={FIXED_COLUMNS.length} />
      {params.map(common)}
      {metrics.map(mean)}
      {system.length > 0 && <td class="sys-stub" />}
      {system.map((id) => mean(id))}
      {tags.map(common)}
    </tr>
  );
}

/** The runs table. */
export function RunsTable(p: RunsTableProps): VNode {
  const { params, metrics, system, tags } = p.columns;
  const span = (n: number, label: string, cls?: string) =>
    n > 0 ? <th scope="colgroup" colSpan={n} class={cls}>{label}</th> : null;
  return (
    <div class="tablewrap">
      <table class={p.sysOpen ? "grid runs" : "grid runs sys-closed"} id="runs-table">
        <thead>
          <tr class="colgroups">
            <th class="pin sel" />
            <th class="pin name" />
            <th colSpan={FIXED_COLUMNS.length} />
            {span(params.length, `Parameters (${params.length})`)}
            {span(metrics.length, `Metrics (${metrics.length})`)}
            {system.length > 0 && (
              <th scope="colgroup" class="sys-head" colSpan={p.sysOpen ? system.length : 1}>
                <a
                  href={p.sysHref}
                  data-toggle-sys
                  aria-expanded={p.sysOpen ? "true" : "false"}
                  title="CPU, memory, disk, network and GPU use that mlt run (or MLflow) logged; mlt run --no-system-metrics turns them off"
                >
                  {p.sysOpen ? "▾" : "▸"} System metrics ({system.length})
                </a>
              </th>
            )}
            {span(tags.length, `Tags (${tags.length})`)}
          </tr>
          <tr>
            <th scope="col" class="pin sel">
              <input type="checkbox" data-select-all="runs" aria-label="Select all runs" />
            </th>
            <Header id="name" label="Run name" sortable p={p} cls="pin name" />
            {FIXED_COLUMNS.map((c) => <Header key={c.id} {...c} p={p} />)}
            {params.map((c) => (
              <Header key={c} id={c} label={c.slice(7)} group="param" sortable p={p} />
            ))}
            {metrics.map((c) => metricHeader(c, p, "metric"))}
            {system.length > 0 && <th class="sys-stub" />}
            {system.map((c) => metricHeader(c, p, "system", "sys"))}
            {tags.map((c) => (
              <Header
                key={c}
                id={c}
                label={c.slice(5)}
                group="tag"
                sortable
                p={p}
              />
            ))}
          </tr>
        </thead>
        <tbody>
          {p.groups
            ? p.groups.list.flatMap((g) => [
              <GroupRow key={`g${g.key}`} g={g} p={p} />,
              ...g.runs.map((run) => (
                <Row
                  key={run.info.runId}
                  run={run}
                  p={p}
                  group={g.key}
                  hidden={!p.groups!.open.has(g.key)}
                />
              )),
            ])
            : nestRuns(p.runs).map((r) => (
              <Row key={r.run.info.runId} run={r.run} p={p} child={r.child} kids={r.kids} />
            ))}
        </tbody>
      </table>
      {p.runs.length === 0 && <p class="empty">No runs match.</p>}
    </div>
  );
}
