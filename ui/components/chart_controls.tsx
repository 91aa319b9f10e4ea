/** The chart options form: x axis (step, wall time, relative time), y scale, smoothing. */
import type { VNode } from "preact";
import type { XMode, YScale } from "../chart.ts";

/** How charts on a page are drawn. */
export interface ChartView {
  x: XMode;
  y: YScale;
  smooth: number;
}

/** A GET form that redraws the page's charts with other options (kept in the URL). */
export function ChartControls(
  { action, view, anchor, keep = {} }: {
    action: string;
    view: ChartView;
    anchor?: string;
    keep?: Record<string, string | string[] | undefined> | [string, string][];
  },
): VNode {
  const kept = Array.isArray(keep)
    ? keep
    : Object.entries(keep).flatMap(([k, v]) =>
      v === undefined ? [] : [v].flat().filter((x) => x !== "").map((x): [string, string] => [k, x])
    );
  return (
    <form class="toolbar" action={anchor ? `${action}#${anchor}` : action} method="get">
      {kept.map(([k, v], i) => <input key={i} type="hidden" name={k} value={v} />)}
      <label>
        X axis{" "}
        <select name="x">
          <option value="step" selected={view.x === "step"}>Step</option>
          <option value="time" selected={view.x === "time"}>Wall time</option>
          <option value="relative" selected={view.x === "relative"}>Relative time</option>
        </select>
      </label>
      <label>
        Y axis{" "}
        <select name="y">
          <option value="linear" selected={view.y === "linear"}>Linear</option>
          <option value="log" selected={view.y === "log"}>Log</option>
        </select>
      </label>
      <label>
        Smoothing{" "}
        <input
          type="number"
          name="smooth"
          min="0"
          max="0.99"
          step="0.05"
          value={view.smooth || 0}
          style="width:5em"
        />
      </label>
      <button type="submit">Apply</button>
    </form>
  );
}
