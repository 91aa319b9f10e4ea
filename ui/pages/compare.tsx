/**
 * Several runs side by side: params (differences highlighted), latest metrics, a parallel-
 * coordinates plot (params → a metric), a scatter plot of any two columns, overlaid charts.
 */
import type { ComponentChildren, VNode } from "preact";
import type { Experiment, Run } from "../../src/model.ts";
import type { ArtifactItem } from "../components/artifacts.tsx";
import { RunsCrumbs } from "../components/crumbs.tsx";
import { GroupingForm } from "../components/view_forms.tsx";
import type { Grouping, RunGroup } from "../grouping.ts";
import { groupable } from "./metric.tsx";
import { ChartCard, type ChartItem } from "../components/chart.tsx";
import { ParallelPlot, ScatterPlot } from "../components/plots.tsx";
import type { ParallelModel, ScatterModel } from "../plots.ts";
import { ChartControls, type ChartView } from "../components/chart_controls.tsx";
import { Num, StatusBadge, Time } from "../components/status.tsx";
import { formatDuration, runDuration, runLabel, runUser } from "../format.ts";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** Everything the compare page shows. */
export interface ComparePageProps {
  u: Urls;
  /** The runs, their colours, and their top-level artifacts (when readable). */
  runs: { run: Run; color: string; artifacts?: ArtifactItem[] }[];
  groups?: RunGroup[];
  grouping: Grouping;
  experiments: Experiment[];
  sidebar: Experiment[];
  charts: ChartItem[];
  view: ChartView;
  onlyDiff: boolean;
  /** Every column a plot may use: `params.k`, `metrics.k`, `tags.k`. */
  columns: string[];
  parallel: { metric?: string; params: string[]; model?: ParallelModel };
  scatter: { x?: string; y?: string; model?: ScatterModel };
  /** URL state (runs, diff, x, y, smooth, grouping, pm, pp, sx, sy), kept by forms and links. */
  state: Record<string, string | string[] | undefined>;
}

function Hidden(
  { state, except }: { state: Record<string, string | string[] | undefined>; except: string[] },
) {
  return (
    <>
      {Object.entries(state).flatMap(([k, v]) =>
        v === undefined || except.includes(k)
          ? []
          : [v].flat().filter(Boolean).map((x, i) => (
            <input key={`${k}${i}`} type="hidden" name={k} value={x} />
          ))
      )}
    </>
  );
}

function Plots(p: ComparePageProps): VNode {
  const action = p.u.compare([]).split("?")[0];
  const metrics = p.columns.filter((c) => c.startsWith("metrics.")).map((c) => c.slice(8));
  const params = p.columns.filter((c) => c.startsWith("params.")).map((c) => c.slice(7));
  const chosen = new Set(p.parallel.params);
  return (
    <>
      <h2 id="parallel">Parallel coordinates</h2>
      <form class="toolbar" action={`${action}#parallel`} method="get">
        <Hidden state={p.state} except={["pm", "pp"]} />
        <input type="hidden" name="pp" value="" />
        <label>
          Metric{" "}
          <select name="pm" aria-label="Metric of the last axis">
            {metrics.map((m) => (
              <option key={m} value={m} selected={m === p.parallel.metric}>{m}</option>
            ))}
          </select>
        </label>
        <details class="cols inline">
          <summary>Params ({chosen.size} of {params.length})</summary>
          <div class="opts">
            {params.map((k) => (
              <label key={k}>
                <input type="checkbox" name="pp" value={k} checked={chosen.has(k)} /> {k}
              </label>
            ))}
          </div>
        </details>
        <button type="submit">Draw</button>
      </form>
      {p.parallel.model
        ? (
          <div class="plotwrap">
            <ParallelPlot
              m={p.parallel.model}
              title={`Parallel coordinates of ${p.parallel.params.join(", ")} and ${
                p.parallel.metric ?? ""
              }`}
            />
            <RunLegend p={p} />
          </div>
        )
        : <p class="muted">Choose a metric or params to draw.</p>}
      <h2 id="scatter">Scatter plot</h2>
      <form class="toolbar" action={`${action}#scatter`} method="get">
        <Hidden state={p.state} except={["sx", "sy"]} />
        {(["sx", "sy"] as const).map((name) => (
          <label key={name}>
            {name === "sx" ? "X" : "Y"}{" "}
            <select name={name} aria-label={name === "sx" ? "X column" : "Y column"}>
              {p.columns.map((c) => (
                <option key={c} value={c} selected={c === p.scatter[name === "sx" ? "x" : "y"]}>
                  {c}
                </option>
              ))}
            </select>
          </label>
        ))}
        <button type="submit">Plot</button>
      </form>
      {p.scatter.model
        ? (
          <div class="plotwrap">
            <ScatterPlot m={p.scatter.model} />
          </div>
        )
        : <p class="muted">Choose two columns to plot.</p>}
    </>
  );
}

// A table of keys (params, metrics, tags) against runs; rows whose values differ are marked.
function DiffTable(
  { id, head, rows, label, cell, num, mark }: {
    id: string;
    head: VNode;
    rows: ReturnType<typeof diffRows>;
    label?: (key: string) => ComponentChildren;
    cell?: (v: string | number | undefined) => ComponentChildren;
    num?: boolean;
    /** Say on each row whether it differs (data-differs). */
    mark?: boolean;
  },
): VNode {
  return (
    <div class="tablewrap">
      <table class="grid" id={id}>
        {head}
        <tbody>
          {rows.map((r) => (
            <tr
              key={r.key}
              class={r.differs ? "diff" : undefined}
              data-differs={mark ? (r.differs ? "1" : "0") : undefined}
            >
              <th scope="row">{label ? label(r.key) : r.key}</th>
              {r.values.map((v, i) => (
                <td key={i} class={num ? "num" : undefined}>{cell ? cell(v) : v ?? ""}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// One row of the overview: a label and each run's cell.
function RunsRow(
  { runs, label, cell, cls }: {
    runs: Run[];
    label: string;
    cell: (r: Run) => ComponentChildren;
    cls?: string;
  },
): VNode {
  return (
    <tr>
      <th scope="row">{label}</th>
      {runs.map((r) => <td key={r.info.runId} class={cls}>{cell(r)}</td>)}
    </tr>
  );
}

// Which colour is which run (or group) on the plots.
function RunLegend({ p }: { p: ComparePageProps }): VNode {
  const items = p.groups
    ? p.groups.map((g) => ({ key: g.key, label: `${g.label} (${g.runs.length})`, color: g.color }))
    : p.runs.slice(0, 40).map(({ run, color }) => ({
      key: run.info.runId,
      label: runLabel(run),
      color,
    }));
  return (
    <div class="legend">
      {items.map((l) => (
        <span key={l.key}>
          <i style={`background:${l.color}`} />
          {l.label}
        </span>
      ))}
      {!p.groups && p.runs.length > 40 && <span class="muted">and {p.runs.length - 40} more</span>}
    </div>
  );
}

/** Keys of a run field (params, metrics, tags) across runs, with whether the values differ. */
export function diffRows(
  runs: Run[],
  pick: (r: Run) => { key: string; value: string | number }[],
): { key: string; values: (string | number | undefined)[]; differs: boolean }[] {
  const keys = new Set<string>();
  for (const r of runs) for (const x of pick(r)) keys.add(x.key);
  return [...keys].sort().map((key) => {
    const values = runs.map((r) => pick(r).find((x) => x.key === key)?.value);
    const first = String(values[0]);
    return { key, values, differs: values.some((v) => String(v) !== first) };
  });
}

/** The compare page. */
export function ComparePage(p: ComparePageProps): VNode {
  const { u } = p;
  const runs = p.runs.map((r) => r.run);
  const ids = runs.map((r) => r.info.runId);
  const params = diffRows(runs, (r) => r.data.params).filter((r) => !p.onlyDiff || r.differs);
  const { runs: _, ...keep } = p.state;
  const metrics = diffRows(runs, (r) => r.data.metrics);
  const tags = diffRows(runs, (r) => r.data.tags.filter((t) => !t.key.startsWith("mlflow.")));
  const now = Date.now();
  const head = (
    <thead>
      <tr>
        <th scope="col" />
        {p.runs.map(({ run, color }) => (
          <th key={run.info.runId} scope="col">
            <i class="sw" style={`background:${color}`} />
            <a href={u.run(run.info.experimentId, run.info.runId)}>{runLabel(run)}</a>
          </th>
        ))}
      </tr>
    </thead>
  );
  return (
    <Layout
      title={`Compare ${runs.length} runs`}
      u={u}
      sidebar={{ experiments: p.sidebar, current: p.experiments[0]?.experimentId }}
    >
      <RunsCrumbs u={u} experiments={p.experiments} runs={runs} here="compare" />
      <h1>Compare {runs.length} runs</h1>
      <div class="tablewrap">
        <table class="grid" id="compare-runs">
          {head}
          <tbody>
            <RunsRow
              runs={runs}
              label="Status"
              cell={(r) => <StatusBadge status={r.info.status} />}
            />
            <RunsRow runs={runs} label="Run ID" cls="mono" cell={(r) => r.info.runId} />
            {p.groups && (
              <RunsRow
                runs={runs}
                label="Group"
                cell={(r) => p.groups!.find((g) => g.runs.includes(r))?.label ?? ""}
              />
            )}
            <RunsRow runs={runs} label="Started" cell={(r) => <Time ms={r.info.startTime} />} />
            <RunsRow runs={runs} label="Ended" cell={(r) => <Time ms={r.info.endTime} />} />
            <RunsRow
              runs={runs}
              label="Duration"
              cls="num"
              cell={(r) => formatDuration(runDuration(r, now))}
            />
            <RunsRow runs={runs} label="User" cell={runUser} />
            <tr>
              <th scope="row">Artifacts</th>
              {p.runs.map(({ run: r, artifacts }) => (
                <td key={r.info.runId} class="wrap">
                  {artifacts === undefined
                    ? <span class="muted">—</span>
                    : artifacts.length === 0
                    ? <span class="muted">none</span>
                    : artifacts.map((a, i) => (
                      <span key={a.path}>
                        {i > 0 && ", "}
                        <a
                          href={u.run(r.info.experimentId, r.info.runId, { artifact: a.path }) +
                            "#artifacts"}
                        >
                          {a.path}
                          {a.isDir ? "/" : ""}
                        </a>
                      </span>
                    ))}
                </td>
              ))}
            </tr>
          </tbody>
        </table>
      </div>
      <h2>Parameters</h2>
      <p class="small">
        {p.onlyDiff
          ? <a href={u.compare(ids, { ...keep, diff: undefined })}>Show all parameters</a>
          : (
            <a href={u.compare(ids, { ...keep, diff: "1" })}>
              Show only differences
            </a>
          )} <span class="muted">· highlighted rows differ</span>
      </p>
      <DiffTable id="compare-params" head={head} rows={params} mark />
      <h2>Metrics (latest)</h2>
      <DiffTable
        id="compare-metrics"
        head={head}
        rows={metrics}
        label={(k) => <a href={u.metric(k, ids)}>{k}</a>}
        cell={(v) => <Num v={v as number | undefined} />}
        num
      />
      {tags.length > 0 && (
        <>
          <h2>Tags</h2>
          <DiffTable id="compare-tags" head={head} rows={tags} />
        </>
      )}
      {p.columns.length > 0 && <Plots {...p} />}
      {p.charts.length > 0 && (
        <>
          <h2 id="charts">Charts</h2>
          <ChartControls
            action={u.compare([]).split("?")[0]}
            view={p.view}
            anchor="charts"
            keep={{ ...p.state, x: undefined, y: undefined, smooth: undefined }}
          />
          {runs.length > 1 && (
            <GroupingForm
              action={`${u.compare([]).split("?")[0]}#charts`}
              grouping={p.grouping}
              columns={groupable(runs)}
              keep={Object.entries({
                ...p.state,
                group: undefined,
                split: undefined,
                agg: undefined,
                band: undefined,
                expand: undefined,
              }).flatMap(([k, v]) => (v ? [[k, String(v)] as [string, string]] : []))}
            />
          )}
          <div class="cards" id="charts-grid">
            {p.charts.map((c) => (
              <ChartCard key={"svg" in c ? c.svg.metricKey : c.lazy.metricKey} item={c} />
            ))}
          </div>
        </>
      )}
    </Layout>
  );
}
