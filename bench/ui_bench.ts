/**
 * Benchmark: `mlt ui` against MLflow's UI (`mlflow server`) on the same mlruns tree, in headless
 * Chromium. Measures the experiment page's time to first byte (median of warm fetches, and the
 * first cold one) and the time until the runs table shows a run (fresh browser context each
 * time); optionally a run with many long metrics: time until its charts are drawn; and the chart
 * view of a sweep (ui_bench_charts.ts): first chart and every chart in the window drawn.
 *
 *   deno run -A bench/ui_bench.ts [--runs 10000] [--params 50] [--metrics 20]
 *     [--chart-metrics 100] [--chart-steps 100000] [--repeat 5] [--dir /tmp/x]
 *     [--sweep-runs 1000] [--sweep-metrics 10] [--sweep-steps 1000] [--sweep-groups 10]
 *     [--mlflow-repeat 1] [--mlflow-timeout 1200] [--charts-only]
 *     [--mlflow .venv/bin/mlflow] [--chromium /usr/bin/chromium] [--build-only] [--no-mlflow]
 *
 * With --dir, the tree is kept and reused by later runs with the same sizes (its ids are saved in
 * `<dir>/.mlt-ui-bench.json`); --build-only stops after building it.
 *
 * Prints one table and the ratios MLflow / mlt (above 1 means mlt is faster).
 */
import { parseArgs } from "node:util";
import { launchChromium } from "../tests/helpers/chromium.ts";
import { buildSweep, chartRows, type SweepSizes } from "./ui_bench_charts.ts";
import { freePort, median, start, stopAll, visible, waitHealthy } from "./ui_bench_common.ts";
import { metricLine } from "../src/store/file/format.ts";
import { T0, writeRunSkeleton } from "./mlruns_gen.ts";
import { openStore } from "../src/store/open.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "10000" },
    params: { type: "string", default: "50" },
    metrics: { type: "string", default: "20" },
    "chart-metrics": { type: "string", default: "100" },
    "chart-steps": { type: "string", default: "100000" },
    repeat: { type: "string", default: "5" },
    dir: { type: "string" },
    mlflow: { type: "string", default: new URL("../.venv/bin/mlflow", import.meta.url).pathname },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    "sweep-runs": { type: "string", default: "1000" },
    "sweep-metrics": { type: "string", default: "10" },
    "sweep-steps": { type: "string", default: "1000" },
    "sweep-groups": { type: "string", default: "10" },
    "mlflow-repeat": { type: "string", default: "1" },
    "mlflow-timeout": { type: "string", default: "1200" },
    "charts-only": { type: "boolean", default: false },
    "build-only": { type: "boolean", default: false },
    "no-mlflow": { type: "boolean", default: false },
  },
});
const SWEEP: SweepSizes = {
  runs: Number(opt["sweep-runs"]),
  metrics: Number(opt["sweep-metrics"]),
  steps: Number(opt["sweep-steps"]),
  groups: Number(opt["sweep-groups"]),
};
const CHARTS_ONLY = opt["charts-only"];
const RUNS = Number(opt.runs), PARAMS = Number(opt.params), METRICS = Number(opt.metrics);
const CHART_METRICS = Number(opt["chart-metrics"]), CHART_STEPS = Number(opt["chart-steps"]);
const REPEAT = Number(opt.repeat);
const enc = new TextEncoder();

async function writeRun(expDir: string, expId: string, r: number, metrics: number, steps: number) {
  const { runId, dir } = await writeRunSkeleton(expDir, expId, r);
  for (let p = 0; p < PARAMS; p++) {
    await Deno.writeTextFile(`${dir}/params/p${p}`, String((r * 31 + p * 7) % 100));
  }
  for (let m = 0; m < metrics; m++) {
    const lines: string[] = [];
    for (let s = 0; s < steps; s++) {
      lines.push(
        metricLine({ key: `m${m}`, value: Math.sin(s / 50 + m + r), timestamp: T0 + s, step: s }),
      );
    }
    await Deno.writeFile(`${dir}/metrics/m${m}`, enc.encode(lines.join("")));
  }
  return runId;
}

interface Tree {
  expId?: string;
  chartExp?: string;
  chartRun?: string;
  sweepExp?: string;
}

// Reuses a tree built earlier in `--dir` with the same sizes, or builds one.
async function tree(root: string): Promise<Tree> {
  const marker = `${root}/.mlt-ui-bench.json`;
  const sizes = [
    ...(CHARTS_ONLY ? ["charts"] : [RUNS, PARAMS, METRICS, CHART_METRICS, CHART_STEPS]),
    ...Object.values(SWEEP),
  ].join("x");
  try {
    const saved = JSON.parse(await Deno.readTextFile(marker));
    if (saved.sizes === sizes) {
      console.error(`reusing the tree in ${root}`);
      return saved.tree;
    }
    throw new Error(`${root} holds a tree of other sizes (${saved.sizes}); use another --dir`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  console.error(`building ${RUNS} runs × ${PARAMS} params × ${METRICS} metrics in ${root}`);
  const built = await buildTree(root);
  await Deno.writeTextFile(marker, JSON.stringify({ sizes, tree: built }));
  return built;
}

async function buildTree(root: string): Promise<Tree> {
  const sweepExp = SWEEP.runs > 0 ? await buildSweep(root, SWEEP) : undefined;
  if (CHARTS_ONLY) return { sweepExp };
  const store = openStore(root);
  const expId = await store.createExperiment("bench-table");
  const chartExp = await store.createExperiment("bench-charts");
  await store.close();
  for (let r = 0; r < RUNS; r++) {
    await writeRun(`${root}/${expId}`, expId, r, METRICS, 1);
    if ((r + 1) % 500 === 0) await Deno.stderr.write(enc.encode(`\rruns: ${r + 1}/${RUNS}`));
  }
  await Deno.stderr.write(enc.encode("\n"));
  const chartRun = CHART_METRICS > 0
    ? await writeRun(`${root}/${chartExp}`, chartExp, 0, CHART_METRICS, CHART_STEPS)
    : undefined;
  return { expId, chartExp, chartRun, sweepExp };
}

// Time to the first byte of the page; the rest is read too (not cancelled), as a browser does, so
// a streamed page's remaining work does not spill into the next request's time.
async function ttfb(url: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(url);
  const reader = res.body!.getReader();
  await reader.read();
  const ms = performance.now() - t;
  while (!(await reader.read()).done) {
    // drain
  }
  return ms;
}

async function main() {
  const root = opt.dir ?? await Deno.makeTempDir({ prefix: "mlt-ui-bench-" });
  const { expId, chartExp, chartRun, sweepExp } = await tree(root);
  if (opt["build-only"]) return;
  const mltPort = freePort(), mlflowPort = freePort();
  const mlt = start(Deno.execPath(), [
    "run",
    "-A",
    new URL("../main.ts", import.meta.url).pathname,
    "ui",
    "--backend-store-uri",
    root,
    "--port",
    String(mltPort),
  ]);
  const mlflow = opt["no-mlflow"] ? undefined : start(opt.mlflow!, [
    "server",
    "--backend-store-uri",
    root,
    "--port",
    String(mlflowPort),
    "--workers",
    "1",
  ], { MLFLOW_ALLOW_FILE_STORE: "true" });
  const browser = await launchChromium(opt.chromium);
  const rows: [string, number | undefined, number | undefined][] = [];
  try {
    const mltBase = `http://127.0.0.1:${mltPort}`, mlflowBase = `http://127.0.0.1:${mlflowPort}`;
    await waitHealthy(mltBase, mlt, "mlt ui");
    let mlflowUp = mlflow !== undefined;
    if (mlflow) {
      await waitHealthy(mlflowBase, mlflow, "mlflow server").catch((e) => {
        console.error(String(e));
        mlflowUp = false;
      });
    }
    if (sweepExp) {
      rows.push(
        ...await chartRows(browser, {
          mltBase,
          mlflowBase: mlflowUp ? mlflowBase : undefined,
          expId: sweepExp,
          sizes: SWEEP,
          repeat: REPEAT,
          mlflowRepeat: Number(opt["mlflow-repeat"]),
          mlflowTimeoutMs: Number(opt["mlflow-timeout"]) * 1000,
        }),
      );
    }
    if (expId) await tablePart(rows, mltBase, mlflowUp ? mlflowBase : undefined);
  } finally {
    await browser.close();
    await stopAll([mlt, mlflow]);
  }
  await report(rows, root);

  async function tablePart(
    rows: [string, number | undefined, number | undefined][],
    mltBase: string,
    mlflowBase: string | undefined,
  ) {
    const mlflowUp = mlflowBase !== undefined;
    const mltTable = `${mltBase}/experiments/${expId}`;
    // MLflow 3 opens GenAI traces by default; its runs table lives under /runs.
    const mlflowTable = `${mlflowBase}/#/experiments/${expId}/runs?workflowType=machine_learning`;
    const measure = async (fn: () => Promise<number>) => {
      const out: number[] = [];
      for (let i = 0; i < REPEAT; i++) out.push(await fn());
      return median(out);
    };
    const opt2 = async (up: boolean, fn: () => Promise<number>) => {
      if (!up) return undefined;
      try {
        return await fn();
      } catch (e) {
        console.error(String(e));
        return undefined;
      }
    };
    rows.push([
      "TTFB, experiment page, first (ms)",
      await ttfb(mltTable),
      await opt2(mlflowUp, () => ttfb(mlflowTable)),
    ]);
    rows.push([
      "TTFB, experiment page, median (ms)",
      await measure(() => ttfb(mltTable)),
      await opt2(mlflowUp, () => measure(() => ttfb(mlflowTable))),
    ]);
    const last = `run-${RUNS - 1}`;
    rows.push([
      "runs table visible (ms)",
      await measure(() =>
        visible(browser, mltTable, `document.body.innerText.includes("${last}")`)
      ),
      await opt2(
        mlflowUp,
        () =>
          measure(() =>
            visible(browser, mlflowTable, `document.body.innerText.includes("${last}")`)
          ),
      ),
    ]);
    if (chartRun) {
      const runPage = `${mltBase}/experiments/${chartExp}/runs/${chartRun}`;
      const points = `${CHART_METRICS} × ${CHART_STEPS} points`;
      rows.push([
        `run with ${points}: first chart drawn (ms)`,
        await measure(() =>
          visible(browser, runPage, `document.querySelector("figure.chart svg polyline") !== null`)
        ),
        await opt2(mlflowUp, () =>
          measure(() =>
            visible(
              browser,
              `${mlflowBase}/#/experiments/${chartExp}/runs/${chartRun}/model-metrics`,
              // MLflow draws charts lazily as they scroll into view: the first drawn one counts.
              `document.querySelectorAll(".js-plotly-plot .main-svg, canvas").length >= 1`,
            )
          )),
      ]);
      // mlt renders the first charts with the page and the rest as they scroll into view.
      rows.push([
        `run with ${points}: all ${CHART_METRICS} charts drawn, scrolling down (ms)`,
        await measure(() =>
          visible(
            browser,
            runPage,
            `document.querySelectorAll("figure.chart svg polyline").length >= ${CHART_METRICS}`,
            { scroll: true },
          )
        ),
        undefined,
      ]);
    }
  }
}

async function report(rows: [string, number | undefined, number | undefined][], root: string) {
  console.log(`| measure | mlt | MLflow | MLflow / mlt |\n|---|---|---|---|`);
  // A negative figure is a timeout: the server did not finish within it.
  for (const [name, a, b] of rows) {
    const f = (x?: number) =>
      x === undefined ? "n/a" : x < 0 ? `> ${(-x).toFixed(0)}` : x.toFixed(1);
    const ratio = a && b ? `${b < 0 ? "> " : ""}${(Math.abs(b) / a).toFixed(1)}×` : "n/a";
    console.log(`| ${name} | ${f(a)} | ${f(b)} | ${ratio} |`);
  }
  if (!opt.dir) await Deno.remove(root, { recursive: true });
}

await main();
