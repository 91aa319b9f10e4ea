/**
 * Benchmark: mlt's FileStore against MLflow's own FileStore on the same mlruns tree.
 * Builds runs × 20 params × 20 metrics × 100 steps, then times search (first page, warm, walk),
 * get-run and a full metric history in both, and checks that mlt sees another process's write.
 *
 *   deno run -A bench/file_store_bench.ts [--runs 10000] [--dir /tmp/x] [--python .venv/bin/python]
 */
import { parseArgs } from "node:util";
import { openStore } from "../src/store/open.ts";
import { metricLine } from "../src/store/file/format.ts";
import { T0, writeRunSkeleton } from "./mlruns_gen.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "10000" },
    dir: { type: "string" },
    python: { type: "string", default: new URL("../.venv/bin/python", import.meta.url).pathname },
  },
});
const RUNS = Number(opt.runs);
const PARAMS = 20, METRICS = 20, STEPS = 100;
const FILTER = "metrics.acc > 0.9 and params.lr = '0.01'";
const ORDER = "metrics.acc DESC";
const LRS = ["0.001", "0.01", "0.1"];

// A deterministic generator so both stores see the same numbers run after run.
let seed = 42;
function rand(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

async function buildTree(root: string): Promise<{ expId: string; runIds: string[] }> {
  const store = openStore(root);
  const expId = await store.createExperiment("bench");
  await store.close();
  const expDir = `${root}/${expId}`;
  const runIds: string[] = [];
  const enc = new TextEncoder();
  for (let r = 0; r < RUNS; r++) {
    const { runId, dir } = await writeRunSkeleton(expDir, expId, r);
    runIds.push(runId);
    await Deno.writeTextFile(`${dir}/params/lr`, LRS[r % 3]);
    for (let p = 1; p < PARAMS; p++) {
      await Deno.writeTextFile(`${dir}/params/p${p}`, String(Math.floor(rand() * 100)));
    }
    const last = rand();
    for (let m = 0; m < METRICS; m++) {
      const key = m === 0 ? "acc" : `m${m}`;
      let text = "";
      for (let s = 0; s < STEPS; s++) {
        const value = s === STEPS - 1 && m === 0 ? last : rand();
        text += metricLine({ key, value, timestamp: T0 + r * 1000 + s, step: s });
      }
      await Deno.writeFile(`${dir}/metrics/${key}`, enc.encode(text));
    }
    if ((r + 1) % 1000 === 0) {
      await Deno.stderr.write(enc.encode(`\rbuilding tree: ${r + 1}/${RUNS} runs`));
    }
  }
  await Deno.stderr.write(enc.encode("\n"));
  return { expId, runIds };
}

async function time<T>(fn: () => Promise<T>, repeat: number): Promise<[number, T]> {
  const samples: number[] = [];
  let result!: T;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    result = await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return [samples[Math.floor(samples.length / 2)], result];
}

async function main() {
  const root = opt.dir ?? await Deno.makeTempDir({ prefix: "mlt-bench-" });
  const t = performance.now();
  const { expId, runIds } = await buildTree(root);
  console.error(
    `tree: ${RUNS} runs in ${((performance.now() - t) / 1000).toFixed(1)} s at ${root}`,
  );
  const probe = runIds[7];

  const store = openStore(root);
  const search = (pageToken?: string) =>
    store.searchRuns({
      experimentIds: [expId],
      filter: FILTER,
      orderBy: [ORDER],
      maxResults: 100,
      pageToken,
    });
  const walk = async () => {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await search(token);
      ids.push(...page.items.map((r) => r.info.runId));
      token = page.nextPageToken;
    } while (token);
    return ids;
  };
  const mlt: Record<string, number> = {};
  [mlt.search_first_ms] = await time(() => search(), 1);
  [mlt.search_warm_ms] = await time(() => search(), 5);
  const [walkMs, ids] = await time(walk, 3);
  mlt.walk_ms = walkMs;
  [mlt.get_run_ms] = await time(() => store.getRun(probe), 50);
  const [histMs, hist] = await time(() => store.getMetricHistory(probe, "acc"), 20);
  mlt.history_ms = histMs;

  // Freshness: another process makes a non-matching run match; the next search must see it.
  const lateRun = runIds.find((_, i) => i % 3 === 1 && !ids.includes(runIds[i]))!;
  const line = metricLine({ key: "acc", value: 2.0, timestamp: Date.now(), step: STEPS });
  await new Deno.Command("sh", {
    args: ["-c", `printf '%s' "$1" >> "$2"`, "sh", line, `${root}/${expId}/${lateRun}/metrics/acc`],
  }).output();
  const fresh = (await search()).items[0]?.info.runId === lateRun;
  await store.close();

  console.error("running MLflow's FileStore on the same tree (this is the slow part)…");
  const py = await new Deno.Command(opt.python!, {
    args: [
      new URL("./mlflow_file_store.py", import.meta.url).pathname,
      root,
      expId,
      probe,
      FILTER,
      ORDER,
    ],
    env: { MLFLOW_ALLOW_FILE_STORE: "true" },
    stderr: "inherit",
  }).output();
  if (!py.success) throw new Error("the MLflow side failed");
  const mlflow = JSON.parse(new TextDecoder().decode(py.stdout));

  // Same answers: MLflow ran after the late write, so compare against mlt's fresh walk.
  const store2 = openStore(root);
  const again = await store2.searchRuns({
    experimentIds: [expId],
    filter: FILTER,
    orderBy: [ORDER],
    maxResults: 100,
  });
  let matches = again.items.length;
  for (let token = again.nextPageToken; token;) {
    const next = await store2.searchRuns({
      experimentIds: [expId],
      filter: FILTER,
      orderBy: [ORDER],
      maxResults: 100,
      pageToken: token,
    });
    matches += next.items.length;
    token = next.nextPageToken;
  }
  await store2.close();
  const sameFirstPage = JSON.stringify(again.items.map((r) => r.info.runId)) ===
    JSON.stringify(mlflow.first_page_ids);

  const rows = [
    ["search, first page of 100 (cold for mlt)", "search_first_ms"],
    ["search, first page of 100 (warm)", "search_warm_ms"],
    ["search, walk through all pages", "walk_ms"],
    ["get_run", "get_run_ms"],
    [`full history of one metric (${hist.items.length} points)`, "history_ms"],
  ];
  console.log(`\nFileStore: ${RUNS} runs × ${PARAMS} params × ${METRICS} metrics × ${STEPS} steps`);
  console.log(
    `filter: ${FILTER}   order: ${ORDER}   matches: ${matches} (MLflow: ${mlflow.walk_count})`,
  );
  console.log("| operation | mlt ms | MLflow ms | MLflow / mlt |\n| --- | --- | --- | --- |");
  for (const [label, key] of rows) {
    const a = mlt[key], b = mlflow[key];
    console.log(`| ${label} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(1)}× |`);
  }
  console.log(`same first page as MLflow: ${sameFirstPage}; saw another process's write: ${fresh}`);
  if (!opt.dir) await Deno.remove(root, { recursive: true });
  if (!sameFirstPage || !fresh || matches !== mlflow.walk_count) Deno.exit(1);
}

await main();
