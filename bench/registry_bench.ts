/**
 * Model registry search benchmark: `mlt server` against the real `mlflow server`, in one run, each
 * on its own copy of the same SQLite database, requests alternating between the two (so that
 * the load of a shared machine weighs on both alike). Besides wall times it reports each
 * server's CPU time per request (from /proc, the whole process group for MLflow's server and
 * its uvicorn worker), which waiting for a busy CPU does not inflate: --models registered models
 * (`model-0000`…, tags `team` and `tier`), each with --versions versions in varied stages and
 * one alias. Workloads, each --iterations sequential GETs after a warm-up, answers checked equal:
 *
 *   R1  registered-models/search  name LIKE 'model-0%' (every model), order by
 *       last_updated_timestamp DESC, max_results 1000: a page of every model with its latest
 *       versions, tags and aliases;
 *   R2  registered-models/search  tags.team = 'team-3', order by name DESC, max_results 100;
 *   M1  model-versions/search     name LIKE 'model-0%' AND version_number > 1, order by
 *       creation_timestamp DESC, max_results 1000;
 *   M2  model-versions/search     tags.k = 'v1' AND run_id = '<run>', default order.
 *
 * The database is written once through mlt's SQLite registry (MLflow's schema and tables).
 *
 *   deno run -A bench/registry_bench.ts [--models 1000] [--versions 3] [--iterations 100]
 *     [--dir /tmp/x] [--keep]
 *
 * Setup: MLflow in .venv (`python3 -m venv .venv && .venv/bin/pip install mlflow`).
 */
import { parseArgs } from "node:util";
import { SqliteRegistryStore } from "../src/store/sqlite/registry_store.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import { startMlflow, stopMlflow } from "../tests/compat/mlflow_server.ts";
import { startMltServer } from "../tests/helpers/mlt_server.ts";
import { quantile } from "./rest_common.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    models: { type: "string", default: "1000" },
    versions: { type: "string", default: "3" },
    iterations: { type: "string", default: "100" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const MODELS = Number(flags.models);
const VERSIONS = Number(flags.versions);
const ITERATIONS = Number(flags.iterations);
const RUN = "0123456789abcdef0123456789abcdef";
const STAGES = ["None", "Staging", "Production", "Archived"];

async function seed(path: string): Promise<void> {
  const uri = `sqlite:///${path}`;
  const tracking = new SqliteStore(uri, { warn: () => {} });
  const reg = new SqliteRegistryStore(uri, { warn: () => {} }, tracking.connections);
  const ops: Promise<unknown>[] = [];
  for (let i = 0; i < MODELS; i++) {
    const name = `model-${String(i).padStart(4, "0")}`;
    ops.push((async () => {
      await reg.createRegisteredModel(name, [
        { key: "team", value: `team-${i % 5}` },
        { key: "tier", value: i % 2 ? "gold" : "silver" },
      ], `Model ${i}`);
      for (let v = 1; v <= VERSIONS; v++) {
        await reg.createModelVersion({
          name,
          source: v === 1 ? `runs:/${RUN}/model` : `s3://bucket/${name}/${v}`,
          runId: v === 1 ? RUN : "",
          tags: [{ key: "k", value: `v${v}` }],
          description: "",
          runLink: "",
        });
        if (v > 1) await reg.transitionModelVersionStage(name, v, STAGES[(i + v) % 4], false);
      }
      await reg.setRegisteredModelAlias(name, "champion", String(1 + (i % VERSIONS)));
    })());
    if (ops.length >= 50) await Promise.all(ops.splice(0));
  }
  await Promise.all(ops);
  await reg.close();
  await tracking.close();
}

const q = encodeURIComponent;
const WORKLOADS: [string, string][] = [
  [
    "R1",
    `registered-models/search?filter=${q("name LIKE 'model-0%'")}` +
    `&order_by=${q("last_updated_timestamp DESC")}&max_results=1000`,
  ],
  [
    "R2",
    `registered-models/search?filter=${q("tags.team = 'team-3'")}&order_by=${q("name DESC")}` +
    "&max_results=100",
  ],
  [
    "M1",
    `model-versions/search?filter=${q("name LIKE 'model-0%' AND version_number > 1")}` +
    `&order_by=${q("creation_timestamp DESC")}&max_results=1000`,
  ],
  ["M2", `model-versions/search?filter=${q(`tags.k = 'v1' AND run_id = '${RUN}'`)}`],
];

interface Timing {
  ms: number[];
  cpuMs: number;
  items: number;
  body: string;
}

/** A server to measure: its URL and the processes whose CPU time it spends. */
interface Subject {
  url: string;
  pids: () => number[];
}

const TICK_MS = 1000 / Number(
  new TextDecoder().decode(new Deno.Command("getconf", { args: ["CLK_TCK"] }).outputSync().stdout)
    .trim() || "100",
);

// User + system CPU time of processes (ms), from /proc/<pid>/stat.
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch { /* gone */ }
  }
  return ticks * TICK_MS;
}

// The processes of a process group (MLflow's server runs in its own, see mlflow_server.ts).
function group(pgid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid) {
        out.push(Number(e.name));
      }
    } catch { /* gone */ }
  }
  return out;
}

async function timedGet(url: string, path: string): Promise<{ ms: number; text: string }> {
  const t = performance.now();
  const res = await fetch(`${url}/api/2.0/mlflow/${path}`);
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
  return { ms: performance.now() - t, text };
}

// One workload on both servers: a warm-up, then requests alternating mlt, mlflow, mlt, …
async function measure(subjects: Subject[], path: string): Promise<Timing[]> {
  const out: Timing[] = subjects.map(() => ({ ms: [], cpuMs: 0, items: 0, body: "" }));
  for (let i = 0; i < 5; i++) for (const s of subjects) await timedGet(s.url, path);
  for (let i = 0; i < ITERATIONS; i++) {
    for (const [k, s] of subjects.entries()) {
      const pids = s.pids();
      const before = cpuMs(pids);
      const { ms, text } = await timedGet(s.url, path);
      out[k].cpuMs += (cpuMs(pids) - before) / ITERATIONS;
      out[k].ms.push(ms);
      out[k].body = text;
    }
  }
  for (const t of out) {
    const parsed = JSON.parse(t.body);
    t.items = (parsed.registered_models ?? parsed.model_versions ?? []).length;
  }
  return out;
}

const p50 = (t: Timing) => quantile(t.ms, 0.5);

// The answers with timestamps dropped: both servers must return the same page.
function shape(body: string): string {
  return body.replace(/"(creation|last_updated)_timestamp":\s*\d+/g, "").replace(/\s/g, "");
}

async function main() {
  const dir = flags.dir ?? await Deno.makeTempDir({ prefix: "mlt-registry-bench-" });
  const t0 = performance.now();
  await seed(`${dir}/seed.db`);
  console.error(
    `seeded ${MODELS} models × ${VERSIONS} versions in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s`,
  );
  await Deno.copyFile(`${dir}/seed.db`, `${dir}/mlt.db`);
  await Deno.copyFile(`${dir}/seed.db`, `${dir}/mlflow.db`);
  const results: Record<string, Timing[]> = {};
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
  const mlt = await startMltServer(dir, ["--backend-store-uri", `sqlite:///${dir}/mlt.db`]);
  try {
    const mlflow = await startMlflow(dir, ["--backend-store-uri", `sqlite:///${dir}/mlflow.db`]);
    try {
      const subjects: Subject[] = [
        { url: mlt.url, pids: () => [mlt.child.pid] },
        { url: mlflow.url, pids: () => group(mlflow.child.pid) },
      ];
      for (const [name, path] of WORKLOADS) results[name] = await measure(subjects, path);
    } finally {
      await stopMlflow(mlflow);
    }
  } finally {
    mlt.child.kill("SIGTERM");
    await mlt.child.status;
    await mlt.stderr;
  }
  console.log(
    `registry search, ${MODELS} models × ${VERSIONS} versions, SQLite, ${ITERATIONS} requests ` +
      `each, alternating (ms; load average ${load} at the start)`,
  );
  console.log(
    "workload  items   mlt p50  mlflow p50  ratio   mlt cpu  mlflow cpu  ratio (cpu/request)",
  );
  for (const [name] of WORKLOADS) {
    const [a, b] = results[name];
    if (shape(a.body) !== shape(b.body)) throw new Error(`${name}: the answers differ`);
    console.log(
      `${name.padEnd(8)}  ${String(a.items).padStart(5)}  ${p50(a).toFixed(1).padStart(8)}  ` +
        `${p50(b).toFixed(1).padStart(10)}  ${(p50(b) / p50(a)).toFixed(1).padStart(5)}×  ` +
        `${a.cpuMs.toFixed(1).padStart(8)}  ${b.cpuMs.toFixed(1).padStart(10)}  ` +
        `${(b.cpuMs / a.cpuMs).toFixed(1).padStart(5)}×`,
    );
  }
  if (!flags.keep && !flags.dir) await Deno.remove(dir, { recursive: true });
}

await main();
