/**
 * A server-drawn line chart (works without JS): axes, bands, lines and dots as SVG, or past the
 * vector budget the run lines as one server-drawn image under the SVG bands and means. The client
 * script adds hover (the nearest line and the value at the cursor, labelled by the x axis), drag
 * to zoom (the server redraws the range) and double-click to reset.
 */
import type { VNode } from "preact";
import { formatNumber, type XMode } from "../chart.ts";
import { type ChartModel, segments } from "../chart_model.ts";

/** One legend entry. */
export interface LegendItem {
  label: string;
  color: string;
  href?: string;
}

/** Where and when a series reached its extremes. */
export interface Extremes {
  min: number;
  max: number;
  minStep?: number;
  maxStep?: number;
}

/** Props of SvgChart. */
export interface SvgChartProps {
  model: ChartModel;
  title: string;
  /** Link of the title (the metric page). */
  href?: string;
  /** Metric key, for live updates and the metric search box. */
  metricKey: string;
  /** Raw number of points over all series. */
  points: number;
  /** Legend entries (several series). */
  legend?: LegendItem[];
  xMode: XMode;
  /** y axis is logarithmic. */
  log?: boolean;
  /** The run lines drawn by the server when the model is dense (a data: URI). */
  raster?: string;
  /** URL answering `{figure}` for this chart with extra query pairs (zoom, hover data). */
  frag?: string;
  /** The chart's data as CSV. */
  csv?: string;
  /** One run's extremes, shown under the chart. */
  extremes?: Extremes;
  /** Shown zoomed to an x range. */
  zoomed?: boolean;
}

/** "1 point", "12 points". */
export function plural(n: number, one: string, many = one + "s"): string {
  return `${n} ${n === 1 ? one : many}`;
}

function Lines({ m }: { m: ChartModel }): VNode {
  const out: VNode[] = [];
  m.lines.forEach((l, i) => {
    if (m.dense && !l.strong) return;
    const { lines, dots } = segments(l.px);
    const cls = l.strong ? "strong" : undefined;
    for (const [j, pts] of lines.entries()) {
      out.push(
        <polyline key={`${i}-${j}`} class={cls} points={pts} stroke={l.color} data-i={i}>
          <title>{l.label}</title>
        </polyline>,
      );
    }
    for (const [j, [cx, cy]] of dots.entries()) {
      out.push(
        <circle key={`${i}d${j}`} cx={cx} cy={cy} r={3} fill={l.color} data-i={i}>
          <title>{l.label}</title>
        </circle>,
      );
    }
  });
  return <g class="lines">{out}</g>;
}

/** One chart figure: caption, SVG, optional legend and extremes. */
export function SvgChart(p: SvgChartProps): VNode {
  const m = p.model;
  const { left, top, right, bottom } = m.plot;
  return (
    <figure
      class={p.zoomed ? "chart zoomed" : "chart"}
      data-metric-key={p.metricKey}
      data-points={p.points}
      data-frag={p.frag}
      data-x={p.xMode}
      data-log={p.log ? "1" : undefined}
      data-xd={m.empty ? undefined : m.xDomain.join(" ")}
      data-yd={m.empty ? undefined : m.yDomain.join(" ")}
      data-plot={`${left} ${top} ${right} ${bottom}`}
    >
      <figcaption>
        {p.href ? <a href={p.href}>{p.title}</a> : <span>{p.title}</span>}
        <span class="muted small count">{plural(p.points, "point")}</span>
        {p.csv && (
          <a class="small" href={p.csv} download title={`Download the data of ${p.title} as CSV`}>
            CSV
          </a>
        )}
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
          <text key={`x${t.pos}`} x={t.pos} y={bottom + 13} text-anchor="middle">{t.label}</text>
        ))}
        <text class="xtitle" x={(left + right) / 2} y={m.height - 4} text-anchor="middle">
          {m.xTitle}
        </text>
        {p.raster && (
          <image
            href={p.raster}
            x={left}
            y={top}
            width={right - left}
            height={bottom - top}
            preserveAspectRatio="none"
          />
        )}
        {m.bands.map((b, i) => (
          <path key={`b${i}`} class="band" d={b.d} fill={b.color}>
            <title>{b.label}</title>
          </path>
        ))}
        <Lines m={m} />
        {m.empty && (
          <text x={(left + right) / 2} y={(top + bottom) / 2} text-anchor="middle">
            No finite values to plot
          </text>
        )}
      </svg>
      {p.legend && <Legend items={p.legend} />}
      {p.extremes && (
        <p class="small muted extremes">
          min {formatNumber(p.extremes.min)}
          {p.extremes.minStep !== undefined && ` at step ${p.extremes.minStep}`} · max{" "}
          {formatNumber(p.extremes.max)}
          {p.extremes.maxStep !== undefined && ` at step ${p.extremes.maxStep}`}
        </p>
      )}
    </figure>
  );
}

function Legend({ items }: { items: LegendItem[] }): VNode {
  return (
    <div class="legend">
      {items.map((l, i) => (
        <span key={i}>
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
