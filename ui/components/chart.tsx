/** A server-side SVG line chart (works without JS); the client upgrades it to uPlot on demand. */
import type { VNode } from "preact";
import type { ChartModel } from "../chart.ts";

/** One legend entry. */
export interface LegendItem {
  label: string;
  color: string;
  href?: string;
}

/** Props of SvgChart. */
export interface SvgChartProps {
  model: ChartModel;
  title: string;
  /** Link of the title (the metric page). */
  href?: string;
  /** Metric key, for live updates. */
  metricKey: string;
  /** JSON data URL for the interactive (uPlot) version. */
  dataSrc?: string;
  /** Raw number of points over all series. */
  points: number;
  /** Legend entries (several series). */
  legend?: LegendItem[];
  /** y axis is logarithmic (uPlot needs to know). */
  log?: boolean;
  /** x axis holds times (uPlot needs to know). */
  time?: boolean;
}

/** One chart figure: caption, SVG, a host for uPlot, optional legend. */
export function SvgChart(p: SvgChartProps): VNode {
  const m = p.model;
  const { left, top, right, bottom } = m.plot;
  return (
    <figure
      class="chart"
      data-metric-key={p.metricKey}
      data-src={p.dataSrc}
      data-points={p.points}
      data-log={p.log ? "1" : undefined}
      data-time={p.time ? "1" : undefined}
    >
      <figcaption>
        {p.href ? <a href={p.href}>{p.title}</a> : <span>{p.title}</span>}
        <span class="muted small">{p.points} points</span>
      </figcaption>
      <svg
        class="static"
        viewBox={`0 0 ${m.width} ${m.height}`}
        width={m.width}
        height={m.height}
        role="img"
        aria-label={`Chart of ${p.title}`}
      >
        <line class="axis" x1={left} y1={bottom} x2={right} y2={bottom} />
        <line class="axis" x1={left} y1={top} x2={left} y2={bottom} />
        {m.yTicks.map((t) => (
          <g key={`y${t.pos}`}>
            <line class="axis" x1={left} y1={t.pos} x2={right} y2={t.pos} stroke-dasharray="2 3" />
            <text x={left - 4} y={t.pos + 3} text-anchor="end">{t.label}</text>
          </g>
        ))}
        {m.xTicks.map((t) => (
          <text key={`x${t.pos}`} x={t.pos} y={bottom + 14} text-anchor="middle">{t.label}</text>
        ))}
        {m.lines.map((l, i) => (
          <polyline key={i} points={l.points} stroke={l.color} data-series={l.label}>
            <title>{l.label}</title>
          </polyline>
        ))}
        {m.dots.map((d, i) => <circle key={`d${i}`} cx={d.cx} cy={d.cy} r={2.5} fill={d.color} />)}
        {m.empty && (
          <text x={(left + right) / 2} y={(top + bottom) / 2} text-anchor="middle">
            No finite values to plot
          </text>
        )}
      </svg>
      <div class="uplot-host" />
      {p.legend && <Legend items={p.legend} />}
    </figure>
  );
}

function Legend({ items }: { items: LegendItem[] }): VNode {
  return (
    <div class="legend">
      {items.map((l) => (
        <span key={l.label}>
          <i style={`background:${l.color}`} />
          {l.href ? <a href={l.href}>{l.label}</a> : l.label}
        </span>
      ))}
    </div>
  );
}

/** Props of LazyChart. */
export interface LazyChartProps {
  metricKey: string;
  title: string;
  /** The metric page (the chart without JS). */
  href: string;
  /** JSON endpoint answering `{figure, row?}` HTML for the real chart. */
  src: string;
  width: number;
  height: number;
}

/**
 * A chart not rendered with the page (there were too many points): a placeholder the client
 * script replaces when it scrolls into view; without JS, a link to the metric's own page.
 */
export function LazyChart(p: LazyChartProps): VNode {
  return (
    <figure class="chart lazy" data-metric-key={p.metricKey} data-lazy={p.src}>
      <figcaption>
        <a href={p.href}>{p.title}</a>
        <span class="muted small">not loaded yet</span>
      </figcaption>
      <div class="placeholder" style={`aspect-ratio:${p.width}/${p.height}`}>
        <a href={p.href}>Open the chart of {p.title}</a>
      </div>
    </figure>
  );
}

/** A chart of a page: rendered, or a placeholder loaded later. */
export type ChartItem = { svg: SvgChartProps } | { lazy: LazyChartProps };

/** Renders either kind of ChartItem. */
export function ChartCard({ item }: { item: ChartItem }): VNode {
  return "svg" in item ? <SvgChart {...item.svg} /> : <LazyChart {...item.lazy} />;
}
