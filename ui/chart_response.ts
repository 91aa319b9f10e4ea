/**
 * Answers for one chart fetched by the client script: the figure's HTML (a lazy chart scrolled
 * into view, a zoomed range), its hover data (each line's pixels, and its values when few), and
 * its data as CSV, streamed page by page from the store.
 */
import { h } from "preact";
import type { TrackingStore } from "../src/store/store.ts";
import { type BuiltChart, HISTORY_PAGE, type PlotRun } from "./chart_build.ts";
import { SvgChart } from "./components/chart.tsx";
import { csvResponse, csvRow } from "./csv.ts";
import { fragment } from "./render.ts";

const NO_STORE = { "cache-control": "no-store" };

/** A zoom range from `x0` and `x1` (undefined unless both are finite and ordered). */
export function parseRange(x0?: string, x1?: string): [number, number] | undefined {
  const a = Number(x0), b = Number(x1);
  return x0 && x1 && Number.isFinite(a) && Number.isFinite(b) && a < b ? [a, b] : undefined;
}

/** The chart as `{figure}` HTML, or with `hover` its lines for the hover layer. */
export function chartJson(built: BuiltChart, hover: boolean, extra: Record<string, unknown> = {}) {
  if (!hover) {
    return Response.json({ figure: fragment(h(SvgChart, built.chart)), ...extra }, {
      headers: NO_STORE,
    });
  }
  const m = built.chart.model;
  // Dense charts are hovered by pixels only (values read off the axis); others carry values.
  const lines = m.lines.map((l) => ({
    label: l.label,
    color: l.color,
    href: l.href,
    strong: l.strong || undefined,
    px: Array.from(l.px, (v) => (Number.isNaN(v) ? null : Math.round(v * 10) / 10)),
    xs: m.dense && !l.strong ? undefined : l.xs.map((v) => (Number.isNaN(v) ? null : v)),
    ys: m.dense && !l.strong ? undefined : l.ys.map((v) => (Number.isFinite(v) ? v : null)),
  }));
  return Response.json({ dense: m.dense, lines }, { headers: NO_STORE });
}

/** Every point of `keys` for the runs, as CSV rows (run, metric, step, timestamp, value). */
export function chartCsv(
  store: TrackingStore,
  name: string,
  keys: string[],
  runs: PlotRun[],
  group?: (r: PlotRun) => string | undefined,
): Response {
  const header = [
    "run_id",
    "run_name",
    ...(group ? ["group"] : []),
    "metric",
    "step",
    "timestamp",
    "value",
  ];
  return csvResponse(`${name}.csv`, header, async function* () {
    for (const r of runs) {
      for (const key of keys) {
        if (!r.run.data.metrics.some((m) => m.key === key)) continue;
        let pageToken: string | undefined;
        do {
          const page = await store.getMetricHistory(r.run.info.runId, key, {
            maxResults: HISTORY_PAGE,
            pageToken,
          });
          const g = group ? [group(r)] : [];
          let out = "";
          for (const m of page.items) {
            out += csvRow([r.run.info.runId, r.label, ...g, key, m.step, m.timestamp, m.value]);
          }
          if (out) yield out;
          pageToken = page.nextPageToken;
        } while (pageToken);
      }
    }
  });
}
