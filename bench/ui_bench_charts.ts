/**
 * The chart view part of bench/ui_bench.ts: an experiment of `runs` runs × `metrics` metrics ×
 * `steps` steps (a param `group` splits them into `groups` groups), and the time until its chart
 * view has drawn the first chart and every chart in the window, in mlt and in MLflow's UI
 * (which loads 100 runs per page: its "Load more" is clicked until every run is in, then "Show
 * all runs"), plus mlt's grouped view.
 */
import type { Browser, Page } from "playwright-core";
import { metricLine } from "../src/store/file/format.ts";
import { openStore } from "../src/store/open.ts";
import { T0, writeRunSkeleton } from "./mlruns_gen.ts";
import { median, visible } from "./ui_bench_common.ts";

/** Sizes of the sweep. */
export interface SweepSizes {
  runs: number;
  metrics: number;
  steps: number;
  groups: number;
}

/** Writes the sweep experiment into `root` and returns its id. */
export async function buildSweep(root: string, z: SweepSizes): Promise<string> {
  const store = openStore(root);
  const expId = await store.createExperiment("bench-sweep");
  await store.close();
  const enc = new TextEncoder();
  for (let r = 0; r < z.runs; r++) {
    const { dir } = await writeRunSkeleton(`${root}/${expId}`, expId, r);
    const g = r % z.groups;
    await Deno.writeTextFile(`${dir}/params/group`, `g${g}`);
    await Deno.writeTextFile(`${dir}/params/seed`, String(r));
    for (let m = 0; m < z.metrics; m++) {
      const lines: string[] = [];
      for (let s = 0; s < z.steps; s++) {
        const value = Math.exp(-s / (50 + g * 30)) + 0.05 * Math.sin(s / 9 + r) + m;
        lines.push(metricLine({ key: `m${m}`, value, timestamp: T0 + r * 1000 + s, step: s }));
      }
      await Deno.writeFile(`${dir}/metrics/m${m}`, enc.encode(lines.join("")));
    }
    if ((r + 1) % 100 === 0) {
      await Deno.stderr.write(enc.encode(`\rsweep runs: ${r + 1}/${z.runs}`));
    }
  }
  await Deno.stderr.write(enc.encode("\n"));
  return expId;
}

// In the window: every chart has drawn (its lines as SVG or as the server's image), and the
// charts reach the window's bottom or the page is complete.
const MLT_FIRST = `[...document.querySelectorAll(".chartpane figure.chart")]
  .some((f) => f.querySelector("svg.static image, svg.static polyline"))`;
const MLT_ALL = `(() => {
  const figs = [...document.querySelectorAll(".chartpane figure.chart")];
  const seen = figs.filter((f) => { const r = f.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; });
  const filled = figs.some((f) => f.getBoundingClientRect().bottom >= innerHeight) || document.readyState === "complete";
  return seen.length > 0 && filled && seen.every((f) => f.querySelector("svg.static image, svg.static polyline"));
})()`;

// MLflow (plotly): every plot in the window has a trace per run.
const mlflowAll = (runs: number) =>
  `(() => {
  const plots = [...document.querySelectorAll(".js-plotly-plot")].filter((p) => { const r = p.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; });
  return plots.length > 0 && plots.every((p) => p.querySelectorAll(".scatterlayer .trace").length >= ${runs});
})()`;
const MLFLOW_FIRST =
  `[...document.querySelectorAll(".js-plotly-plot")].some((p) => p.querySelector(".scatterlayer .trace"))`;

// MLflow's runs list: wait for its first page, load every other page, show every run.
async function showAllInMlflow(page: Page, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1000, deadline - Date.now());
  await page.waitForFunction("/\\d+ matching runs/.test(document.body.innerText)", undefined, {
    timeout: left(),
  });
  for (;;) {
    const more = page.getByRole("button", { name: /^load more$/i });
    if (await more.count() === 0) break;
    await Promise.all([
      page.waitForResponse((r) => r.url().includes("/runs/search"), { timeout: left() }),
      more.first().click({ timeout: left() }),
    ]);
    await page.waitForTimeout(300);
  }
  await page.click('[data-testid="experiment-view-runs-visibility-column-header"]', {
    timeout: left(),
  });
  await page.click('text="Show all runs"', { timeout: left() });
}

/** The chart view rows of the report: [measure, mlt ms, MLflow ms]. */
export async function chartRows(
  browser: Browser,
  o: {
    mltBase: string;
    mlflowBase?: string;
    expId: string;
    sizes: SweepSizes;
    repeat: number;
    mlflowRepeat: number;
    mlflowTimeoutMs: number;
  },
): Promise<[string, number | undefined, number | undefined][]> {
  const { runs, metrics, steps, groups } = o.sizes;
  const what = `chart view, ${runs} runs × ${metrics} metrics × ${steps} steps`;
  const mlt = `${o.mltBase}/experiments/${o.expId}?tab=charts&n=${runs}`;
  const grouped = `${mlt}&group=params.group`;
  const measure = async (fn: () => Promise<number>, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await fn());
    return median(out);
  };
  // The first visit after the server started reads every history (nothing cached yet).
  const cold = await visible(browser, mlt, MLT_ALL, { timeoutMs: 600_000 });
  const rows: [string, number | undefined, number | undefined][] = [];
  const mlflow = async (check: string) => {
    if (!o.mlflowBase) return undefined;
    const url =
      `${o.mlflowBase}/#/experiments/${o.expId}/runs?workflowType=machine_learning&compareRunsMode=CHART`;
    try {
      return await measure(() =>
        visible(browser, url, check, {
          timeoutMs: o.mlflowTimeoutMs,
          act: (page) => showAllInMlflow(page, o.mlflowTimeoutMs),
        }), o.mlflowRepeat);
    } catch (e) {
      console.error(`MLflow: ${(e as Error).message.split("\n")[0]}`);
      // Did not finish in time: the timeout is a lower bound (reported as "> …").
      return /timeout|exceeded|in time/i.test(String(e)) ? -o.mlflowTimeoutMs : undefined;
    }
  };
  rows.push([
    `${what}: first chart drawn (ms)`,
    await measure(() => visible(browser, mlt, MLT_FIRST), o.repeat),
    await mlflow(MLFLOW_FIRST),
  ]);
  rows.push([
    `${what}: all charts in the window drawn (ms)`,
    await measure(() => visible(browser, mlt, MLT_ALL), o.repeat),
    await mlflow(mlflowAll(runs)),
  ]);
  rows.push([
    `${what}: all charts in the window drawn, first visit after start (ms)`,
    cold,
    undefined,
  ]);
  // Grouping reads nothing new (the series are cached) but draws every chart anew once.
  const groupedFirst = await visible(browser, grouped, MLT_ALL);
  const gw = `${what}, grouped into ${groups} groups of ${
    runs / groups
  }: all charts in the window drawn`;
  rows.push([`${gw}, first time (ms)`, groupedFirst, undefined]);
  rows.push([
    `${gw} (ms)`,
    await measure(() => visible(browser, grouped, MLT_ALL), o.repeat),
    undefined,
  ]);
  return rows;
}
