/**
 * MLflow 3 logged models: `logged-models/search` over many models, `mlt server` against
 * `mlflow server` (the venv's MLflow) on copies of the same store, and an end-to-end
 * `mlflow.sklearn.autolog()` of a small fit against both servers.
 *
 *   deno run -A bench/logged_models_bench.ts [--models 10000] [--file-models 2000]
 *       [--stores sqlite,file] [--calls 10] [--autolog-reps 3] [--dir /tmp/mlt-lm-bench]
 *
 * Seeds one experiment with --models logged models (--file-models on the file store, where
 * MLflow's search reads every model's files) through mlt's own store: params `lr` (3 values) and
 * `depth` (10), a tag, metrics `acc` and `loss` logged by one run, half of them READY. Then, per
 * store, each server gets its own copy and answers: S1 a filter on a metric and a param ordered
 * by the metric (100 per page), S2 a name pattern ordered by creation time, S3 a walk of every
 * page of a param filter (100 per page). Times are to the last byte: the first call after start,
 * then the median of --calls calls after 3 warm-up calls. Every call's filter differs by a no-op
 * term (`creation_timestamp > i`), so no answer comes from mlt's page cache (a walk's later pages
 * do, as in real use). Both servers must return the same ids.
 * Targets (docs/logged-models.md): searches ≥ 10× faster; autolog wall time no worse.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { FileStore } from "../src/store/file/file_store.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { startMlflow, stopMlflow } from "../tests/compat/mlflow_server.ts";
import { startMltServer } from "../tests/helpers/mlt_server.ts";
import { runFlows } from "../tests/compat/model_flows.ts";
import { hash01, quantile, T0 } from "./rest_common.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    models: { type: "string", default: "10000" },
    "file-models": { type: "string", default: "2000" },
    stores: { type: "string", default: "sqlite,file" },
    calls: { type: "string", default: "10" },
    "autolog-reps": { type: "string", default: "3" },
    dir: { type: "string", default: "/tmp/mlt-lm-bench" },
  },
});
const CALLS = Number(opt.calls);
const API = "/api/2.0/mlflow";

/** N logged models in experiment "bench" of `s`, logged in concurrent chunks. */
async function seed(s: TrackingStore, n: number): Promise<string> {
  const exp = await s.createExperiment("bench");
  const run = (await s.createRun({ experimentId: exp, startTime: T0 })).info.runId;
  for (let start = 0; start < n; start += 500) {
    const ids = await Promise.all(
      Array.from({ length: Math.min(500, n - start) }, (_, j) => {
        const i = start + j;
        return s.createLoggedModel({
          experimentId: exp,
          name: `model-${i}`,
          sourceRunId: run,
          params: [{ key: "lr", value: ["0.1", "0.01", "0.001"][i % 3] }, {
            key: "depth",
            value: String(i % 10),
          }],
          tags: [{ key: "team", value: i % 2 ? "a" : "b" }],
        }).then((m) => m.modelId);
      }),
    );
    const metrics = ids.flatMap((modelId, j) => [
      { key: "acc", value: hash01(start + j, 1), timestamp: T0 + start + j, step: 0, modelId },
      { key: "loss", value: hash01(start + j, 2), timestamp: T0 + start + j, step: 0, modelId },
    ]);
    for (let k = 0; k < metrics.length; k += 1000) {
      await s.logBatch(run, { metrics: metrics.slice(k, k + 1000) });
    }
    await Promise.all(ids.filter((_, j) => j % 2).map((id) => s.finalizeLoggedModel(id, "READY")));
  }
  return exp;
}

async function post(
  url: string,
  body: unknown,
): Promise<{ ms: number; json: Record<string, unknown> }> {
  const t = performance.now();
  const res = await fetch(`${url}${API}/logged-models/search`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const ms = performance.now() - t;
  if (!res.ok) throw new Error(`search: ${res.status} ${text.slice(0, 300)}`);
  return { ms, json: JSON.parse(text) };
}

interface Workload {
  name: string;
  /** The request of call `i` (its filter made unique by a term that matches every model). */
  body: (i: number) => Record<string, unknown>;
  /** Walk every page. */
  walk?: boolean;
}

function workloads(exp: string): Workload[] {
  const unique = (filter: string, i: number) => `${filter} AND creation_timestamp > ${i}`;
  return [
    {
      name: "S1 metric+param filter, metric order",
      body: (i) => ({
        experiment_ids: [exp],
        filter: unique("metrics.acc > 0.5 AND params.lr = '0.01'", i),
        order_by: [{ field_name: "metrics.acc", ascending: false }],
        max_results: 100,
      }),
    },
    {
      name: "S2 name LIKE, creation order",
      body: (i) => ({
        experiment_ids: [exp],
        filter: unique("name LIKE 'model-1%'", i),
        order_by: [{ field_name: "creation_timestamp" }],
        max_results: 100,
      }),
    },
    {
      name: "S3 every page of a param filter",
      body: (i) => ({
        experiment_ids: [exp],
        filter: unique("params.depth = '3'", i),
        max_results: 100,
      }),
      walk: true,
    },
  ];
}

// One measurement: the time of one call, or of the whole page walk; and the ids answered.
async function measure(
  url: string,
  w: Workload,
  i: number,
): Promise<{ ms: number; ids: string[] }> {
  let ms = 0, token: string | undefined;
  const ids: string[] = [];
  const body = w.body(i);
  do {
    const r = await post(url, token ? { ...body, page_token: token } : body);
    ms += r.ms;
    for (const m of (r.json.models ?? []) as { info: { model_id: string } }[]) {
      ids.push(m.info.model_id);
    }
    token = w.walk ? r.json.next_page_token as string | undefined : undefined;
  } while (token);
  return { ms, ids };
}

async function bench(
  url: string,
  w: Workload,
): Promise<{ first: number; median: number; ids: string[] }> {
  const first = await measure(url, w, 0);
  for (let i = 1; i <= 3; i++) await measure(url, w, i);
  const times: number[] = [];
  for (let i = 4; i < 4 + CALLS; i++) times.push((await measure(url, w, i)).ms);
  return { first: first.ms, median: quantile(times, 0.5), ids: first.ids };
}

const rows: string[][] = [];
const fmt = (ms: number) => ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);

async function storeRound(kind: "sqlite" | "file", n: number): Promise<void> {
  const dir = join(opt.dir!, kind);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  const seedPath = join(dir, kind === "sqlite" ? "seed.db" : "seed-mlruns");
  const t = performance.now();
  const store = kind === "sqlite"
    ? new SqliteStore(`sqlite:///${seedPath}`, { warn: () => {}, artifactRoot: join(dir, "art") })
    : new FileStore(seedPath, { warn: () => {}, artifactRoot: join(dir, "art") });
  const exp = await seed(store, n);
  await store.close();
  console.error(`${kind}: seeded ${n} models in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const copy = async (name: string) => {
    const to = join(dir, name);
    await new Deno.Command("cp", { args: ["-r", seedPath, to] }).output();
    return kind === "sqlite" ? `sqlite:///${to}` : to;
  };
  const [mlflowUri, mltUri] = [await copy("mlflow-store"), await copy("mlt-store")];
  for (const d of ["mlflow-cwd", "mlt-cwd"]) await Deno.mkdir(join(dir, d));
  const mlflow = await startMlflow(join(dir, "mlflow-cwd"), [
    "--backend-store-uri",
    kind === "file" ? `file://${mlflowUri}` : mlflowUri,
  ]);
  const mlt = await startMltServer(join(dir, "mlt-cwd"), ["--backend-store-uri", mltUri]);
  try {
    for (const w of workloads(exp)) {
      const a = await bench(mlflow.url, w);
      const b = await bench(mlt.url, w);
      if (JSON.stringify(a.ids) !== JSON.stringify(b.ids)) {
        throw new Error(`${w.name}: the servers answer different models`);
      }
      rows.push([
        `${kind} ${n}: ${w.name} (${a.ids.length} models)`,
        fmt(a.first),
        fmt(b.first),
        fmt(a.median),
        fmt(b.median),
        `${(a.median / b.median).toFixed(1)}×`,
      ]);
      console.error(rows.at(-1)!.join(" | "));
    }
    if (kind === "sqlite") await autolog(mlflow.url, mlt.url, dir);
  } finally {
    await stopMlflow(mlflow);
    mlt.child.kill("SIGTERM");
    await mlt.child.status;
  }
}

// Wall time of the Python process running sklearn autolog on a small fit against each server.
async function autolog(mlflowUrl: string, mltUrl: string, dir: string): Promise<void> {
  const wall = async (url: string, cwd: string) => {
    const t = performance.now();
    const out = await runFlows(url, cwd, undefined, ["autolog"]);
    if (out.results.autolog !== "ok") throw new Error(out.results.autolog);
    return performance.now() - t;
  };
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < Number(opt["autolog-reps"]); i++) {
    // Alternating, so both see the same machine load.
    times[0].push(await wall(mlflowUrl, join(dir, "mlflow-cwd")));
    times[1].push(await wall(mltUrl, join(dir, "mlt-cwd")));
  }
  const [a, b] = times.map((x) => quantile(x, 0.5));
  rows.push([
    "autolog (python process wall time)",
    "",
    "",
    fmt(a),
    fmt(b),
    `${(a / b).toFixed(2)}×`,
  ]);
  console.error(rows.at(-1)!.join(" | "));
}

for (const kind of opt.stores!.split(",") as ("sqlite" | "file")[]) {
  await storeRound(kind, Number(kind === "file" ? opt["file-models"] : opt.models));
}
console.log(
  "| workload | mlflow first ms | mlt first ms | mlflow median ms | mlt median ms | mlflow/mlt |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
console.log(`\n\`deno run -A bench/logged_models_bench.ts ${Deno.args.join(" ")}\``.trim());
