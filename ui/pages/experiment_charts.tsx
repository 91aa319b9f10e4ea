/**
 * The experiment's chart tab: the runs of the current filter, sort and page in a list (each in
 * its chart colour, with a toggle to hide it; grouped, one entry per group with its count), and
 * one chart per metric overlaying them, user metrics before system metrics, with a metric search
 * and the chart options. Charts arrive as slots (streamed) or load as they scroll into view.
 */
import type { ComponentChildren, VNode } from "preact";
import type { Experiment, Run } from "../../src/model.ts";
import { ChartControls } from "../components/chart_controls.tsx";
import { GroupingForm, Hidden } from "../components/view_forms.tsx";
import { type ExperimentState, keptFields } from "../experiment_state.ts";
import { runLabel } from "../format.ts";
import type { RunGroup } from "../grouping.ts";
import type { Urls } from "../urls.ts";
import { type PageInfo, Pager, stateLink } from "./runs.tsx";

/** A section of charts (user metrics, system metrics). */
export interface ChartSection {
  id: string;
  title: string;
  /** Shown under the title (e.g. how to turn system metrics off). */
  note?: string;
  /** The charts: slots streamed in order, or lazy placeholders. */
  items: ComponentChildren[];
}

/** Props of ChartsBody. */
export interface ChartsBodyProps {
  u: Urls;
  experiment: Experiment;
  state: ExperimentState;
  runs: Run[];
  colors: Map<string, string>;
  groups?: RunGroup[];
  /** Columns runs can be grouped by. */
  groupColumns: string[];
  sections: ChartSection[];
  /** Metric keys of the runs, and how many the search left. */
  keys: { total: number; shown: number };
  paging: PageInfo;
}

function RunItem(
  { run, color, hidden, href, u }: {
    run: Run;
    color: string;
    hidden: boolean;
    href: string;
    u: Urls;
  },
): VNode {
  const i = run.info;
  return (
    <li data-run-id={i.runId} class={hidden ? "off" : undefined}>
      <a
        class="eye"
        href={href}
        data-toggle-run={i.runId}
        aria-pressed={hidden ? "false" : "true"}
        title={hidden ? "Show on the charts" : "Hide from the charts"}
        aria-label={`${hidden ? "Show" : "Hide"} ${runLabel(run)}`}
      >
      </a>
      <i class="sw" style={`background:${color}`} />
      <a href={u.run(i.experimentId, i.runId)} title={runLabel(run)}>{runLabel(run)}</a>
    </li>
  );
}

/** The run list beside the charts. */
function RunList(p: ChartsBodyProps): VNode {
  const { u, experiment: e, state: s } = p;
  const hidden = new Set(s.hide);
  const toggle = (id: string) =>
    stateLink(u, e, s, {
      hide: (hidden.has(id) ? s.hide.filter((x) => x !== id) : [...s.hide, id]).join(",") ||
        undefined,
    });
  const item = (r: Run, color: string) => (
    <RunItem
      key={r.info.runId}
      run={r}
      color={color}
      hidden={hidden.has(r.info.runId)}
      href={toggle(r.info.runId)}
      u={u}
    />
  );
  const expanded = new Set(s.grouping.expand);
  const expand = (key: string) =>
    stateLink(u, e, s, {
      expand: expanded.has(key)
        ? s.grouping.expand.filter((k) => k !== key)
        : [...s.grouping.expand, key],
    });
  return (
    <aside class="runlist" aria-label="Runs on the charts">
      <div class="head">
        <strong>
          Runs ({p.runs.length - p.runs.filter((r) => hidden.has(r.info.runId)).length}/{p.runs
            .length})
        </strong>
        {s.hide.length > 0 && <a href={stateLink(u, e, s, { hide: undefined })}>Show all</a>}
      </div>
      <input
        type="search"
        placeholder="Find a run"
        aria-label="Find a run in the list"
        data-filter-list="chart-runs"
      />
      <ul id="chart-runs">
        {p.groups
          ? p.groups.map((g) => (
            <li key={g.key} class="group" data-name={g.label.toLowerCase()}>
              <a
                class="toggle"
                href={expand(g.key)}
                aria-expanded={expanded.has(g.key) ? "true" : "false"}
                title={expanded.has(g.key) ? "Show the group as one line" : "Show the group's runs"}
              >
                {expanded.has(g.key) ? "▾" : "▸"}
              </a>
              <i class="sw" style={`background:${g.color}`} />
              <span>{g.label}</span>
              <span class="muted small count">({g.runs.length})</span>
              {expanded.has(g.key) && <ul>{g.runs.map((r) => item(r, g.color))}</ul>}
            </li>
          ))
          : p.runs.map((r) => (
            <li key={r.info.runId} class="plain" data-name={runLabel(r).toLowerCase()}>
              <ul>{item(r, p.colors.get(r.info.runId) ?? "#777")}</ul>
            </li>
          ))}
      </ul>
    </aside>
  );
}

/** The chart tab's body. */
export function ChartsBody(p: ChartsBodyProps): VNode {
  const { u, experiment: e, state: s } = p;
  const here = u.experiment(e.experimentId);
  return (
    <>
      <GroupingForm
        action={here}
        grouping={s.grouping}
        columns={p.groupColumns}
        keep={keptFields(s, ["group", "split", "agg", "band", "expand"])}
        split
      />
      <div class="chartview">
        <RunList {...p} />
        <section class="chartpane" aria-label="Charts">
          <div class="toolbar">
            <form class="inline" action={here} method="get" role="search">
              <Hidden pairs={keptFields(s, ["mq"])} />
              <input
                type="search"
                name="mq"
                value={s.mq}
                placeholder="Search metrics"
                aria-label="Search metric charts"
                data-filter-charts
              />
            </form>
            <ChartControls
              action={here}
              view={s.chart}
              keep={keptFields(s, ["x", "y", "smooth"])}
            />
          </div>
          {p.keys.total === 0 && <p class="empty">These runs have no metrics yet.</p>}
          {p.keys.total > 0 && p.keys.shown === 0 && (
            <p class="empty">No metric matches “{s.mq}”.</p>
          )}
          {p.sections.map((sec) => (
            <details key={sec.id} class="section" id={sec.id} open>
              <summary>{sec.title}</summary>
              {sec.note && <p class="muted small">{sec.note}</p>}
              <div class="cards">{sec.items}</div>
            </details>
          ))}
        </section>
      </div>
      <Pager u={u} e={e} s={s} paging={p.paging} hasRuns={p.runs.length > 0} />
    </>
  );
}
