/** The compare page's plots as server-side SVG: parallel coordinates and a scatter plot. */
import type { VNode } from "preact";
import type { ParallelModel, ScatterModel } from "../plots.ts";

/** Parallel coordinates: one vertical axis per column, one line per run. */
export function ParallelPlot({ m, title }: { m: ParallelModel; title: string }): VNode {
  return (
    <svg
      class="plot"
      id="parallel-plot"
      viewBox={`0 0 ${m.width} ${m.height}`}
      width={m.width}
      height={m.height}
      role="img"
      aria-label={title}
    >
      {m.lines.map((l, i) => (
        <a key={i} href={l.href}>
          <polyline class="pc" points={l.points} stroke={l.color}>
            <title>{l.label}</title>
          </polyline>
        </a>
      ))}
      {m.axes.map((a, i) => (
        <g key={i}>
          <line class="axis strong" x1={a.x} y1={m.top} x2={a.x} y2={m.bottom} />
          <text class="label" x={a.x} y={m.top - 12} text-anchor="middle">
            {a.label.length > 28 ? a.label.slice(0, 27) + "…" : a.label}
            <title>{a.label}</title>
          </text>
          {a.ticks.map((t, j) => (
            <text key={j} x={a.x - 4} y={t.pos + 3} text-anchor="end">{t.label}</text>
          ))}
        </g>
      ))}
    </svg>
  );
}

/** A scatter plot: one dot per run, linked to the run. */
export function ScatterPlot({ m }: { m: ScatterModel }): VNode {
  const { left, top, right, bottom } = m.plot;
  return (
    <svg
      class="plot"
      id="scatter-plot"
      viewBox={`0 0 ${m.width} ${m.height}`}
      width={m.width}
      height={m.height}
      role="img"
      aria-label={`${m.yLabel} against ${m.xLabel}`}
    >
      <line class="axis strong" x1={left} y1={bottom} x2={right} y2={bottom} />
      <line class="axis strong" x1={left} y1={top} x2={left} y2={bottom} />
      {m.xTicks.map((t, i) => (
        <text key={`x${i}`} x={t.pos} y={bottom + 14} text-anchor="middle">{t.label}</text>
      ))}
      {m.yTicks.map((t, i) => (
        <text key={`y${i}`} x={left - 4} y={t.pos + 3} text-anchor="end">{t.label}</text>
      ))}
      <text class="label" x={(left + right) / 2} y={m.height - 6} text-anchor="middle">
        {m.xLabel}
      </text>
      <text
        class="label"
        x={12}
        y={(top + bottom) / 2}
        text-anchor="middle"
        transform={`rotate(-90 12 ${(top + bottom) / 2})`}
      >
        {m.yLabel}
      </text>
      {m.points.map((p, i) => (
        <a key={i} href={p.href}>
          <circle cx={p.cx} cy={p.cy} r={4.5} fill={p.color}>
            <title>{p.title}</title>
          </circle>
        </a>
      ))}
      {m.points.length === 0 && (
        <text x={(left + right) / 2} y={(top + bottom) / 2} text-anchor="middle">
          No run has both values
        </text>
      )}
    </svg>
  );
}
