/**
 * The GET forms that change how runs are shown: grouping (group by, split charts by, aggregate,
 * band) and the runs table's column chooser (params, metrics as latest, min or max, tags). Each
 * keeps the rest of the page's URL state in hidden fields.
 */
import type { VNode } from "preact";
import type { Grouping } from "../grouping.ts";
import type { AvailableColumns } from "../runs_query.ts";

/** Hidden inputs for kept query pairs. */
export function Hidden({ pairs }: { pairs: [string, string][] }): VNode {
  return <>{pairs.map(([k, v], i) => <input key={i} type="hidden" name={k} value={v} />)}</>;
}

function Choice(
  { name, label, value, options }: {
    name: string;
    label: string;
    value?: string;
    options: [string, string][];
  },
): VNode {
  return (
    <label>
      {label}{" "}
      <select name={name} aria-label={label}>
        {options.map(([v, text]) => (
          <option key={v} value={v} selected={v === (value ?? "")}>{text}</option>
        ))}
      </select>
    </label>
  );
}

/** Props of GroupingForm. */
export interface GroupingFormProps {
  action: string;
  grouping: Grouping;
  /** Columns runs can be grouped by (`params.k`, `tags.k`). */
  columns: string[];
  /** The rest of the URL state. */
  keep: [string, string][];
  /** Offer the second level (split charts by). */
  split?: boolean;
}

/** Group by one or two columns, and how groups are aggregated. */
export function GroupingForm(p: GroupingFormProps): VNode {
  const cols: [string, string][] = [
    ["", "none"],
    ...p.columns.map((c): [string, string] => [c, c]),
  ];
  return (
    <form class="toolbar grouping" action={p.action} method="get">
      <Hidden pairs={p.keep} />
      <Choice name="group" label="Group by" value={p.grouping.group} options={cols} />
      {p.split && (
        <Choice name="split" label="Split charts by" value={p.grouping.split} options={cols} />
      )}
      <Choice
        name="agg"
        label="Line"
        value={p.grouping.agg}
        options={[["mean", "mean"], ["median", "median"]]}
      />
      <Choice
        name="band"
        label="Band"
        value={p.grouping.band}
        options={[["minmax", "min–max"], ["std", "±1 std"], ["none", "none"]]}
      />
      <button type="submit">Apply</button>
    </form>
  );
}

/** Props of ColumnChooser. */
export interface ColumnChooserProps {
  action: string;
  keep: [string, string][];
  available: AvailableColumns;
  chosen: Set<string>;
}

/** The column chooser: a checkbox per column; metrics by latest value, min or max. */
export function ColumnChooser(p: ColumnChooserProps): VNode {
  const total = p.available.params.length + p.available.metrics.length +
    p.available.system.length + p.available.tags.length;
  const box = (id: string, text: string) => (
    <label key={id}>
      <input type="checkbox" name="col" value={id} checked={p.chosen.has(id)} /> {text}
    </label>
  );
  const metric = (id: string) => (
    <span class="metric-choice" key={id}>
      {box(id, id.slice(8))}
      {box(`${id}@min`, "min")}
      {box(`${id}@max`, "max")}
    </span>
  );
  return (
    <details class="cols">
      <summary>Columns ({p.chosen.size} shown)</summary>
      <form action={p.action} method="get">
        <Hidden pairs={p.keep} />
        <input type="hidden" name="cols" value="" />
        {total === 0 && <span class="muted">No params, metrics or tags yet.</span>}
        {p.available.params.length > 0 && <h3>Parameters</h3>}
        <div class="opts">{p.available.params.map((c) => box(c, c.slice(7)))}</div>
        {p.available.metrics.length > 0 && <h3>Metrics (latest, min, max)</h3>}
        <div class="opts">{p.available.metrics.map(metric)}</div>
        {p.available.system.length > 0 && <h3>System metrics</h3>}
        <div class="opts">{p.available.system.map(metric)}</div>
        {p.available.tags.length > 0 && <h3>Tags</h3>}
        <div class="opts">{p.available.tags.map((c) => box(c, c.slice(5)))}</div>
        <button type="submit">Show columns</button>
      </form>
    </details>
  );
}
