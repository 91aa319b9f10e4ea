/**
 * REST server benchmark: `mlt server` against the real `mlflow server` and FastTrackML (`fml
 * server`) on the same machine, in one run, one server process at a time, each on its own copy of
 * the same data (workloads B1–B5, B8, B9 of reference/peers.md §6):
 *
 *   B1  per-call logging with the real Python client (log_metric, log_batch per step, async),
 *       plus the same log-metric call from a thin Deno client (closer to server time);
 *   B2  1M points through log-batch of 1,000 metrics (10 runs × 100 keys × 1,000 steps);
 *   B3  20 concurrent writers (FastTrackML's k6 logging script: create run, one metric,
 *       batches of 40, 400 and 1,000 points, 10 and 100 params, update run);
 *   B4  search over 10,000 runs: `metrics.acc > 0.9 and params.lr = '0.01'`, order by
 *       metrics.acc DESC, max_results 100;
 *   B5  a 1M-point history through metrics/get-history pages of 25,000 (as the client pages);
 *   B8  spawn → first 200 on /health;
 *   B9  RSS of the server's whole process tree, idle and at its peak under B3.
 *
 * Stores: SQLite for all three; the file store (mlruns) for mlt and MLflow only (FastTrackML has
 * none). The B4/B5 data are written once through mlt's REST API and the resulting file or tree is
 * copied for MLflow (same schema and layout); FastTrackML has its own schema and is seeded through
 * its own REST API with the same values.
 *
 * Every workload of every server is bounded by --budget seconds: a peer that cannot finish in it
 * is stopped and its figure extrapolated from what it did (marked †). A failing workload prints
 * "failed: reason" in its cell and the run goes on. Servers are stopped at the end and on error.
 *
 *   deno run -A bench/rest_bench.ts [--points 1000000] [--runs 10000] [--history 1000000]
 *     [--steps 1000] [--vus 20] [--iterations 100] [--budget 600] [--starts 3]
 *     [--servers mlt,mlflow,fml] [--stores sqlite,file] [--dir /tmp/x] [--out bench/results]
 *     [--mlt-ref HEAD] [--cpu-prof DIR] [--keep]
 *
 * --mlt-ref runs mlt from `git archive REF` in a scratch directory (sharing node_modules) instead
 * of the working tree, so that edits in progress elsewhere cannot change or break the subject.
 * --cpu-prof DIR starts every mlt server with `--cpu-prof` (V8 profiles written on exit).
 *
 * Setup: MLflow in .venv (`python3 -m venv .venv && .venv/bin/pip install mlflow`), FastTrackML
 * in its own venv, since it pins an older mlflow: `python3 -m venv .venv-fml &&
 * .venv-fml/bin/pip install fasttrackml` (provides the `fml` binary). The Python client of B1/B5
 * is bench/rest_client.py run by .venv's python. Order per server: B8 (starts), B9 idle, B3 with
 * B9 under load, B4, B5, B1, B2.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { firstLine, type InstalledMlt, installedMlt, mltV8Flags } from "./bench_context.ts";
import {
  B2,
  b2Batches,
  createExperiment,
  createRun,
  hash01,
  quantile,
  runB3,
  type Seed,
  seed,
  T0,
  timedPost,
  walkHistory,
} from "./rest_common.ts";

const REPO = new URL("..", import.meta.url).pathname;
const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    points: { type: "string", default: "1000000" },
    runs: { type: "string", default: "10000" },
    history: { type: "string", default: "1000000" },
    steps: { type: "string", default: "1000" },
    vus: { type: "string", default: "20" },
    iterations: { type: "string", default: "100" },
    budget: { type: "string", default: "600" },
    starts: { type: "string", default: "3" },
    servers: { type: "string", default: "mlt,mlflow,fml" },
    stores: { type: "string", default: "sqlite,file" },
    dir: { type: "string" },
    out: { type: "string", default: join(REPO, "bench", "results") },
    python: { type: "string", default: join(REPO, ".venv", "bin", "python") },
    mlflow: { type: "string", default: join(REPO, ".venv", "bin", "mlflow") },
    fml: { type: "string", default: join(REPO, ".venv-fml", "bin", "fml") },
    "mlt-ref": { type: "string" },
    "cpu-prof": { type: "string" },
    keep: { type: "boolean", default: false },
  },
});

const POINTS = Number(opt.points);
const RUNS = Number(opt.runs);
const HISTORY = Number(opt.history);
const STEPS = Number(opt.steps);
const VUS = Number(opt.vus);
const ITERATIONS = Number(opt.iterations);
const BUDGET_MS = Number(opt.budget) * 1000;
const STARTS = Math.max(1, Number(opt.starts));
const B1_KEYS = 10;
const B1_RAW_CALLS = Math.min(1000, STEPS * 10);
const FILTER = "metrics.acc > 0.9 and params.lr = '0.01'";
const ORDER = "metrics.acc DESC";
const HOST = "127.0.0.1";
const ENV = { MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true" };

type ServerName = "mlt" | "mlflow" | "fml";
type StoreKind = "sqlite" | "file";
const LABEL: Record<ServerName, string> = { mlt: "mlt", mlflow: "MLflow", fml: "FastTrackML" };
const servers = opt.servers.split(",").map((s) => s.trim()) as ServerName[];
const stores = opt.stores.split(",").map((s) => s.trim()) as StoreKind[];
for (const s of servers) if (!(s in LABEL)) throw new Error(`unknown server ${s}`);
for (const s of stores) if (s !== "sqlite" && s !== "file") throw new Error(`unknown store ${s}`);

// ---------------------------------------------------------------------------------------------
// Results

/** One measured cell: `value` drives the ratio, `text` is what the table shows. */
interface Cell {
  value?: number;
  text: string;
  extrapolated?: boolean;
}
interface Row {
  workload: string;
  better: "lower" | "higher";
  cells: Partial<Record<ServerName, Cell>>;
}
const rows = new Map<string, Row>();
const notes: string[] = [];
const raw: Record<string, unknown> = {};

function put(workload: string, better: "lower" | "higher", server: ServerName, cell: Cell): void {
  let row = rows.get(workload);
  if (!row) rows.set(workload, row = { workload, better, cells: {} });
  row.cells[server] = cell;
}

/** Runs one workload; a failure is recorded in the given rows and the bench goes on. */
async function guard(
  server: ServerName,
  workloads: [string, "lower" | "higher"][],
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const reason = (e as Error).message.split("\n")[0].slice(0, 120);
    console.error(`  ${LABEL[server]} ${workloads[0][0]}: failed: ${(e as Error).message}`);
    for (const [w, better] of workloads) put(w, better, server, { text: `failed: ${reason}` });
  }
}

const fmtMs = (ms: number) =>
  ms >= 10_000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms >= 100
    ? `${ms.toFixed(0)} ms`
    : ms >= 10
    ? `${ms.toFixed(1)} ms`
    : `${ms.toFixed(2)} ms`;
const fmtNum = (n: number) => Math.round(n).toLocaleString("en-US");
const fmtRate = (n: number) =>
  n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n >= 100 ? n.toFixed(0) : n.toFixed(1);

function log(msg: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

// ---------------------------------------------------------------------------------------------
// Processes

interface Server {
  name: ServerName;
  child: Deno.ChildProcess;
  pid: number;
  url: string;
  logPath: string;
  exited: boolean;
}
const live = new Set<Server>();
let interrupted = false;
let mltDir = REPO;
// What mltDir's `deno task install` installs (its bundle, built once), set before the first start.
let mltInstalled: InstalledMlt | undefined;

function procTable(): Map<number, number> {
  const parent = new Map<number, number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(e.name), Number(fields[1]));
    } catch { /* gone */ }
  }
  return parent;
}

/** The pid and all its descendants. */
function tree(pid: number): number[] {
  const parent = procTable();
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function statusKb(pid: number, field: string, file = "status"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
      Deno.readTextFileSync(`/proc/${pid}/${file}`),
    );
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** RSS and PSS of the server's process tree, in MB (RSS double-counts pages shared by forks). */
function memory(
  s: Server,
): { rss: number; pss: number; anon: number; file: number; procs: number; byKind: string } {
  const pids = tree(s.pid);
  const parent = procTable();
  const cmdline = (p: number) => {
    try {
      return Deno.readTextFileSync(`/proc/${p}/cmdline`).replaceAll("\0", " ");
    } catch {
      return "";
    }
  };
  // A process counts under the nearest ancestor (itself included) that names what it is.
  const kind = (p: number): string => {
    for (let q: number | undefined = p; q && q !== s.pid; q = parent.get(q)) {
      const c = cmdline(q);
      if (/uvicorn/.test(c)) return "uvicorn";
      if (/_job_runner|huey/.test(c)) return "job runner";
    }
    return p === s.pid ? "main" : "other";
  };
  let rss = 0, pss = 0, anon = 0, file = 0;
  const byKind = new Map<string, number>();
  for (const p of pids) {
    const r = statusKb(p, "VmRSS");
    rss += r;
    pss += statusKb(p, "Pss", "smaps_rollup");
    anon += statusKb(p, "RssAnon");
    file += statusKb(p, "RssFile") + statusKb(p, "RssShmem");
    const k = kind(p);
    byKind.set(k, (byKind.get(k) ?? 0) + r);
  }
  return {
    rss: rss / 1024,
    pss: pss / 1024,
    anon: anon / 1024,
    file: file / 1024,
    procs: pids.length,
    byKind: [...byKind].map(([k, v]) => `${k} ${(v / 1024).toFixed(0)}`).join(", "),
  };
}

function freePort(): number {
  const l = Deno.listen({ hostname: HOST, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function storeUri(name: ServerName, kind: StoreKind, path: string): string {
  if (kind === "file") return name === "mlt" ? path : `file://${path}`;
  return name === "fml" ? `sqlite://${path}` : `sqlite:///${path}`;
}

function command(name: ServerName, uri: string, port: number, cwd: string): string[] {
  // mlt and MLflow take the same server options.
  const server = ["server", "--host", HOST, "--port", String(port), "--backend-store-uri", uri];
  switch (name) {
    case "mlt":
      return [
        Deno.execPath(),
        "run",
        "-A",
        ...mltV8Flags(mltDir), // as the installed `mlt` runs (deno.json's install task)
        ...mltInstalled!.deno,
        ...(opt["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${opt["cpu-prof"]}`] : []),
        mltInstalled!.main,
        ...server,
      ];
    case "mlflow":
      // Default settings: 4 uvicorn workers, artifact proxy on.
      return [opt.mlflow, ...server];
    case "fml":
      return [
        opt.fml,
        "server",
        "--listen-address",
        `${HOST}:${port}`,
        "--database-uri",
        uri,
        "--default-artifact-root",
        join(cwd, "artifacts"),
      ];
  }
}

/** Spawns a server and waits for the first 200 on /health; returns it and the time taken. */
async function start(
  name: ServerName,
  kind: StoreKind,
  path: string,
  cwd: string,
): Promise<{ server: Server; ms: number }> {
  if (interrupted) throw new Error("interrupted");
  const port = freePort();
  const cmd = command(name, storeUri(name, kind, path), port, cwd);
  const logPath = join(cwd, `${name}.log`);
  const t = performance.now();
  const child = new Deno.Command("sh", {
    // exec keeps the pid: the server is our direct child, its output goes to a file.
    args: ["-c", 'exec "$@" >>"$0" 2>&1', logPath, ...cmd],
    cwd,
    env: { ...ENV, ...(kind === "file" ? { MLFLOW_ALLOW_FILE_STORE: "true" } : {}) },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const server: Server = {
    name,
    child,
    pid: child.pid,
    url: `http://${HOST}:${port}`,
    logPath,
    exited: false,
  };
  live.add(server);
  child.status.then(() => server.exited = true);
  const deadline = t + 180_000;
  while (performance.now() < deadline) {
    if (server.exited) break;
    try {
      const res = await fetch(`${server.url}/health`);
      await res.body?.cancel();
      if (res.status === 200) return { server, ms: performance.now() - t };
    } catch { /* not listening yet */ }
    await sleep(10);
  }
  const tail = (await Deno.readTextFile(logPath).catch(() => "")).slice(-600);
  await stop(server);
  throw new Error(
    `${name} did not answer /health (${server.exited ? "exited" : "timeout"}): ${tail}`,
  );
}

/** SIGTERM to the server (graceful), then to what is left of its tree, then SIGKILL. */
async function stop(s: Server): Promise<void> {
  if (!live.has(s)) return;
  live.delete(s);
  const pids = tree(s.pid);
  const kill = (p: number, sig: Deno.Signal) => {
    try {
      Deno.kill(p, sig);
    } catch { /* gone */ }
  };
  kill(s.pid, "SIGTERM");
  await Promise.race([s.child.status, sleep(15_000)]);
  for (let round = 0; round < 2; round++) {
    const left = pids.filter(alive);
    if (!left.length) break;
    for (const p of left) kill(p, round === 0 ? "SIGTERM" : "SIGKILL");
    for (let i = 0; i < 30 && pids.some(alive); i++) await sleep(100);
  }
  if (!s.exited) {
    kill(s.pid, "SIGKILL");
    await s.child.status;
  }
}

async function stopAll(): Promise<void> {
  for (const s of [...live]) await stop(s);
}

const onSignal = () => {
  interrupted = true;
  log("interrupted: stopping servers");
  stopAll().finally(() => Deno.exit(130));
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);

// ---------------------------------------------------------------------------------------------
// Seed copies

async function copy(from: string, to: string): Promise<void> {
  const out = await new Deno.Command("cp", { args: ["-a", from, to] }).output();
  if (!out.success) throw new Error(`cp ${from}: ${new TextDecoder().decode(out.stderr)}`);
}

// ---------------------------------------------------------------------------------------------
// Workloads

async function python(args: string[], timeoutMs: number): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(opt.python, {
    args: [join(REPO, "bench", "rest_client.py"), ...args],
    env: ENV,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(err.trim().split("\n").slice(-1)[0] || `exit ${out.code} (timeout?)`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

async function b1(s: Server, tag: string): Promise<void> {
  const W1 = `B1 log_metric, Python client, ${tag} (ms/call)`;
  const W2 = `B1 log_batch of ${B1_KEYS} per step, Python client, ${tag} (ms/call)`;
  const W3 = `B1 log_metric async, Python client, ${tag} (ms/metric)`;
  // The client's wall-clock time per call hides the server's own cost: the CPU time the server's
  // process tree spent per call (user + system, psutil) is that cost, whatever the client does.
  const C1 = `B1 log_metric, server CPU per call, ${tag} (ms)`;
  const C3 = `B1 log_metric async, server CPU per metric, ${tag} (ms)`;
  const rowsOf = [[W1, "lower"], [W2, "lower"], [W3, "lower"], [C1, "lower"], [C3, "lower"]] as [
    string,
    "lower",
  ][];
  await guard(s.name, rowsOf, async () => {
    const r = await python(
      ["b1", s.url, String(STEPS), String(B1_KEYS), String(BUDGET_MS / 4000), String(s.pid)],
      BUDGET_MS + 120_000,
    ) as Record<string, { calls: number; ms_per_call: number; server_cpu_ms_per_call: number }>;
    raw[`${tag}/${s.name}/b1`] = r;
    const full = {
      log_metric: STEPS * B1_KEYS,
      log_batch: STEPS,
      log_metric_async: STEPS * B1_KEYS,
    };
    const rows: [string, keyof typeof full, "wall" | "cpu"][] = [
      [W1, "log_metric", "wall"],
      [W2, "log_batch", "wall"],
      [W3, "log_metric_async", "wall"],
      [C1, "log_metric", "cpu"],
      [C3, "log_metric_async", "cpu"],
    ];
    for (const [w, k, what] of rows) {
      const p = r[k];
      const short = p.calls < full[k];
      const value = what === "wall" ? p.ms_per_call : p.server_cpu_ms_per_call;
      put(w, "lower", s.name, {
        value,
        text: `${fmtMs(value)}${short ? ` (${fmtNum(p.calls)} calls)` : ""}`,
        extrapolated: short,
      });
    }
  });
  const W4 = `B1 log-metric, thin Deno client, ${tag} (p50 ms/call)`;
  await guard(s.name, [[W4, "lower"]], async () => {
    const exp = await createExperiment(s.url, "b1-raw");
    const run = await createRun(s.url, exp);
    const samples: number[] = [];
    const t = performance.now();
    for (let i = 0; i < B1_RAW_CALLS && performance.now() - t < BUDGET_MS / 4; i++) {
      samples.push(
        (await timedPost(
          s.url,
          "runs/log-metric",
          `{"run_id":"${run}","key":"m${i % 10}","value":${hash01(i, 1)},"timestamp":${
            T0 + i
          },"step":${i}}`,
        )).ms,
      );
    }
    const tail = samples.slice(10); // warm-up
    raw[`${tag}/${s.name}/b1-raw`] = { p50: quantile(tail, 0.5), p95: quantile(tail, 0.95) };
    put(W4, "lower", s.name, {
      value: quantile(tail, 0.5),
      text: `${fmtMs(quantile(tail, 0.5))} (p95 ${fmtMs(quantile(tail, 0.95))})`,
    });
  });
}

async function b2(s: Server, tag: string): Promise<void> {
  const W = `B2 ${fmtNum(POINTS)} points via log-batch of 1,000, ${tag} (s; points/s)`;
  await guard(s.name, [[W, "lower"]], async () => {
    const exp = await createExperiment(s.url, "b2");
    const runs: string[] = [];
    let done = 0;
    const lat: number[] = [];
    const t = performance.now();
    for (const { run, metrics } of b2Batches(POINTS)) {
      runs[run] ??= await createRun(s.url, exp, `b2-${run}`);
      const body = JSON.stringify({ run_id: runs[run], metrics });
      lat.push((await timedPost(s.url, "runs/log-batch", body)).ms);
      done += metrics.length;
      if (performance.now() - t > BUDGET_MS) break;
    }
    const ms = performance.now() - t;
    const rate = done / (ms / 1000);
    const short = done < POINTS;
    const total = POINTS / rate;
    raw[`${tag}/${s.name}/b2`] = {
      points: done,
      seconds: ms / 1000,
      per_request_p50: quantile(lat, 0.5),
      per_request_p95: quantile(lat, 0.95),
    };
    put(W, "lower", s.name, {
      value: total,
      text: `${total.toFixed(1)} s; ${fmtRate(rate)}/s${
        short ? ` († from ${fmtNum(done)} pts)` : ""
      }; p50 ${fmtMs(quantile(lat, 0.5))}/req`,
      extrapolated: short,
    });
  });
}

async function b3(s: Server, tag: string): Promise<void> {
  const W1 = `B3 ${VUS} writers, k6 logging mix, ${tag} (requests/s; points/s)`;
  const W2 = `B3 ${VUS} writers: p50 / p95 latency, all requests, ${tag} (ratio of p50)`;
  const W3 = `B3 ${VUS} writers: p95 latency of the 1,000-point batch, ${tag}`;
  const W4 = `B9 RSS under B3 load, peak, ${tag} (MB)`;
  const ws: [string, "lower" | "higher"][] = [[W1, "higher"], [W2, "lower"], [W3, "lower"], [
    W4,
    "lower",
  ]];
  await guard(s.name, ws, async () => {
    let peak = { rss: 0, anon: 0, file: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const m = memory(s);
        if (m.rss > peak.rss) peak = m;
        await sleep(250);
      }
    })();
    const r = await runB3(s.url, { vus: VUS, iterations: ITERATIONS, budgetMs: BUDGET_MS })
      .finally(() => sampling = false);
    await sampler;
    const { seconds, iterations, requests, errors, firstError, points, latencies: lat } = r;
    const all = [...lat.values()].flat();
    const big = lat.get("log-batch 1000") ?? [];
    const short = iterations < VUS * ITERATIONS;
    raw[`${tag}/${s.name}/b3`] = {
      seconds,
      iterations,
      requests,
      errors,
      firstError,
      points,
      per_kind: Object.fromEntries(
        [...lat].map(([k, v]) => [k, {
          n: v.length,
          p50: quantile(v, 0.5),
          p95: quantile(v, 0.95),
          mean: v.reduce((a, b) => a + b, 0) / v.length,
        }]),
      ),
    };
    const errText = errors ? `; ${errors} errors: ${firstError}` : "";
    const shortText = short ? `; ${iterations} of ${VUS * ITERATIONS} iterations in budget` : "";
    put(W1, "higher", s.name, {
      value: requests / seconds,
      text: `${fmtRate(requests / seconds)} req/s; ${
        fmtRate(points / seconds)
      } pts/s${errText}${shortText}`,
    });
    put(W2, "lower", s.name, {
      value: quantile(all, 0.5),
      text: `${fmtMs(quantile(all, 0.5))} / ${fmtMs(quantile(all, 0.95))}`,
    });
    put(W3, "lower", s.name, { value: quantile(big, 0.95), text: fmtMs(quantile(big, 0.95)) });
    put(W4, "lower", s.name, {
      value: peak.rss,
      text: `${peak.rss.toFixed(0)} MB (anon ${peak.anon.toFixed(0)}, file ${
        peak.file.toFixed(0)
      })`,
    });
  });
}

async function b4(s: Server, tag: string, sd: Seed): Promise<void> {
  const W = `B4 search ${fmtNum(RUNS)} runs, filter + order, 100 results, ${tag} (p50 ms)`;
  await guard(s.name, [[W, "lower"]], async () => {
    const body = JSON.stringify({
      experiment_ids: [sd.searchExp],
      filter: FILTER,
      order_by: [ORDER],
      max_results: 100,
      run_view_type: "ACTIVE_ONLY",
    });
    const once = () => timedPost(s.url, "runs/search", body);
    const first = await once();
    const runs = (JSON.parse(first.text).runs ?? []) as {
      info: { run_name?: string };
      data: { metrics?: { key: string; value: number }[] };
    }[];
    const top = runs[0]?.info.run_name ?? "-";
    // Five warm-up calls for every server (JIT, caches, the write burst of B3 settling), as the
    // first call is reported on its own.
    for (let i = 0; i < 5 && first.ms < BUDGET_MS / 20; i++) await once();
    const samples: number[] = [];
    const t = performance.now();
    for (let i = 0; i < 20 && (i < 3 || performance.now() - t < BUDGET_MS / 4); i++) {
      samples.push((await once()).ms);
      if (performance.now() - t > BUDGET_MS) break;
    }
    raw[`${tag}/${s.name}/b4`] = {
      first_ms: first.ms,
      samples,
      found: runs.length,
      top,
      top_acc: runs[0]?.data.metrics?.find((m) => m.key === "acc")?.value,
    };
    put(W, "lower", s.name, {
      value: quantile(samples, 0.5),
      text: `${fmtMs(quantile(samples, 0.5))} (first ${
        fmtMs(first.ms)
      }; ${runs.length} runs, top ${top})`,
    });
  });
}

async function b5(s: Server, tag: string, sd: Seed): Promise<void> {
  const W = `B5 history of ${fmtNum(HISTORY)} points, pages of 25,000, ${tag} (time to last byte)`;
  await guard(s.name, [[W, "lower"]], async () => {
    // Times only request → last byte of each page; reading the page token is not counted.
    const walk = (countPoints: boolean) =>
      walkHistory(s.url, sd.historyRun, "loss", { countPoints, budgetMs: BUDGET_MS });
    const first = await walk(true);
    let ms = first.ms;
    let extrapolated = false;
    if (first.cut) {
      ms = first.ms * HISTORY / Math.max(1, first.points);
      extrapolated = true;
    } else {
      const samples = [first.ms];
      const t = performance.now();
      for (let i = 0; i < 3 && performance.now() - t + first.ms < BUDGET_MS / 2; i++) {
        samples.push((await walk(false)).ms);
      }
      ms = quantile(samples, 0.5);
      raw[`${tag}/${s.name}/b5`] = { samples, ...first };
    }
    if (first.pages === 1 && HISTORY > 25_000) {
      notes.push(
        `${
          LABEL[s.name]
        } ${tag} B5: the whole history came in one page (max_results=25000 ignored).`,
      );
    }
    if (!first.cut && first.points !== HISTORY) {
      notes.push(`${LABEL[s.name]} ${tag} B5 returned ${first.points} of ${HISTORY} points.`);
    }
    put(W, "lower", s.name, {
      value: ms,
      text: `${fmtMs(ms)} (${first.pages} pages, ${(first.bytes / 1e6).toFixed(0)} MB${
        extrapolated ? `, † from ${fmtNum(first.points)} pts` : ""
      })`,
      extrapolated,
    });
  });
  const WC = `B5 same history through MlflowClient.get_metric_history, ${tag} (s)`;
  if (rows.get(W)?.cells[s.name]?.extrapolated) {
    put(WC, "lower", s.name, { text: "skipped: the raw walk already exceeded the budget" });
    return;
  }
  await guard(s.name, [[WC, "lower"]], async () => {
    const r = await python(["history", s.url, sd.historyRun, "loss"], BUDGET_MS) as {
      points: number;
      seconds: number;
    };
    raw[`${tag}/${s.name}/b5-client`] = r;
    put(WC, "lower", s.name, {
      value: r.seconds,
      text: `${r.seconds.toFixed(2)} s${r.points !== HISTORY ? ` (${fmtNum(r.points)} pts)` : ""}`,
    });
  });
}

// ---------------------------------------------------------------------------------------------
// One server on one store

async function bench(name: ServerName, kind: StoreKind, path: string, cwd: string, sd: Seed) {
  const tag = kind === "sqlite" ? "SQLite" : "file store";
  const W8 = `B8 spawn → first 200 on /health, ${tag} (median of ${STARTS})`;
  const W9 = `B9 idle RSS of the server process tree, ${tag} (MB)`;
  let server: Server | undefined;
  try {
    const starts: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const r = await start(name, kind, path, cwd);
      starts.push(r.ms);
      if (i < STARTS - 1) await stop(r.server);
      else server = r.server;
    }
    raw[`${tag}/${name}/b8`] = starts;
    put(W8, "lower", name, { value: quantile(starts, 0.5), text: fmtMs(quantile(starts, 0.5)) });
  } catch (e) {
    const reason = `failed: ${(e as Error).message.split("\n")[0].slice(0, 160)}`;
    log(`${name} ${tag}: ${reason}`);
    put(W8, "lower", name, { text: reason });
    return;
  }
  const s = server!;
  try {
    await sleep(3000); // idle: workers forked, caches settled
    const m = memory(s);
    raw[`${tag}/${name}/b9-idle`] = m;
    put(W9, "lower", name, {
      value: m.rss,
      text: `${m.rss.toFixed(0)} MB (PSS ${m.pss.toFixed(0)}, anon ${
        m.anon.toFixed(0)
      }, ${m.procs} proc${m.procs > 1 ? "s" : ""})`,
    });
    if (m.procs > 1) {
      notes.push(`${LABEL[name]} ${tag} idle RSS by process kind (MB): ${m.byKind}.`);
    }
    // B3 first, so that its RSS is not inflated by what B5's large reads left in the heap.
    log(`${name} ${tag}: B3 concurrent writers`);
    await b3(s, tag);
    log(`${name} ${tag}: B4 search`);
    await b4(s, tag, sd);
    log(`${name} ${tag}: B5 history`);
    await b5(s, tag, sd);
    log(`${name} ${tag}: B1 per-call logging`);
    await b1(s, tag);
    log(`${name} ${tag}: B2 batch logging`);
    await b2(s, tag);
  } finally {
    await stop(s);
  }
}

// ---------------------------------------------------------------------------------------------
// Main

const version = firstLine;

function table(): string {
  const cols: ServerName[] = ["mlt", "mlflow", "fml"];
  const lines = [
    "| workload | mlt | MLflow | FastTrackML | MLflow/mlt | FastTrackML/mlt |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const row of rows.values()) {
    const cell = (n: ServerName) => {
      const c = row.cells[n];
      if (!c) return n === "fml" && / file store/.test(row.workload) ? "n/a" : "—";
      return c.text.replaceAll("|", "\\|");
    };
    const ratio = (n: ServerName) => {
      const a = row.cells.mlt?.value, b = row.cells[n]?.value;
      if (a === undefined || b === undefined || a <= 0 || b <= 0) return "—";
      const r = row.better === "lower" ? b / a : a / b;
      const dag = row.cells[n]?.extrapolated || row.cells.mlt?.extrapolated ? "†" : "";
      return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×${dag}`;
    };
    lines.push(
      `| ${row.workload} | ${cols.map(cell).join(" | ")} | ${ratio("mlflow")} | ${ratio("fml")} |`,
    );
  }
  return lines.join("\n");
}

const workDir = opt.dir ?? await Deno.makeTempDir({ prefix: "mlt-rest-bench-" });
const started = new Date();
const load0 = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
let failure: unknown;
let mltVersion = await version(["git", "-C", REPO, "describe", "--always", "--dirty"]);
try {
  if (opt["mlt-ref"]) {
    // Resolved once, so that the archive and the commit reported are the same.
    const commit = await version(["git", "-C", REPO, "rev-parse", "--short", opt["mlt-ref"]]);
    mltDir = join(workDir, "mlt-src");
    await Deno.mkdir(mltDir, { recursive: true });
    const out = await new Deno.Command("sh", {
      args: ["-c", 'git -C "$0" archive "$1" | tar -x -C "$2"', REPO, commit, mltDir],
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`git archive: ${new TextDecoder().decode(out.stderr)}`);
    await Deno.symlink(join(REPO, "node_modules"), join(mltDir, "node_modules"));
    mltVersion = `${commit} (git archive of ${opt["mlt-ref"]})`;
  } else mltVersion += " (working tree)";
  mltInstalled = await installedMlt(mltDir);
  for (const kind of stores) {
    const tag = kind === "sqlite" ? "SQLite" : "file store";
    const base = join(workDir, kind);
    await Deno.mkdir(base, { recursive: true });
    const seedPath = join(base, kind === "sqlite" ? "seed.db" : "seed-mlruns");
    let sd: Seed | undefined;
    // The shared data set, written through mlt's REST API, then copied for MLflow.
    if (servers.includes("mlt") || servers.includes("mlflow")) {
      log(`${tag}: seeding ${fmtNum(RUNS)} runs + ${fmtNum(HISTORY)}-point history through mlt`);
      try {
        const { server } = await start("mlt", kind, seedPath, base);
        try {
          sd = await seed(server.url, RUNS, HISTORY, log);
        } finally {
          await stop(server);
        }
        notes.push(`${tag} seed through mlt's REST API took ${sd.seconds.toFixed(0)} s.`);
      } catch (e) {
        log(`seeding failed: ${(e as Error).message}`);
        notes.push(`${tag}: seeding through mlt failed: ${(e as Error).message.slice(0, 200)}`);
      }
    }
    for (const name of servers) {
      if (name === "fml" && kind === "file") continue;
      const cwd = join(base, name);
      await Deno.mkdir(cwd, { recursive: true });
      const path = join(cwd, kind === "sqlite" ? "store.db" : "mlruns");
      let mySeed = sd;
      if (name === "fml") {
        log(`${tag}: seeding FastTrackML through its REST API`);
        try {
          const { server } = await start(name, kind, path, cwd);
          try {
            mySeed = await seed(server.url, RUNS, HISTORY, log);
          } finally {
            await stop(server);
          }
          notes.push(
            `${tag} seed through FastTrackML's REST API took ${mySeed.seconds.toFixed(0)} s.`,
          );
        } catch (e) {
          mySeed = undefined;
          notes.push(`FastTrackML seeding failed: ${(e as Error).message.slice(0, 200)}`);
        }
      } else if (sd) {
        if (kind === "sqlite") {
          for (const ext of ["", "-wal", "-shm"]) {
            try {
              await Deno.copyFile(seedPath + ext, path + ext);
            } catch { /* no such file */ }
          }
        } else await copy(seedPath, path);
      }
      if (!mySeed) {
        put(`B4/B5 ${tag}`, "lower", name, { text: "failed: no seed data" });
        continue;
      }
      log(`${name} on ${tag}`);
      await bench(name, kind, path, cwd, mySeed);
      if (!opt.keep) await Deno.remove(cwd, { recursive: true }).catch(() => {});
    }
  }
} catch (e) {
  failure = e;
} finally {
  await stopAll();
}

const versions = [
  `mlt ${mltVersion} on ${await version(
    [Deno.execPath(), "--version"],
  )}`,
  await version([opt.mlflow, "--version"]),
  await version([opt.fml, "--version"]),
  `client: ${await version([
    opt.python,
    "-c",
    "import mlflow, sys; print('mlflow', mlflow.__version__, 'python', sys.version.split()[0])",
  ])}`,
  `machine: ${navigator.hardwareConcurrency} cores, ${
    (Number(/MemTotal:\s+(\d+)/.exec(await Deno.readTextFile("/proc/meminfo"))![1]) / 1048576)
      .toFixed(0)
  } GiB; load average at start ${load0}, at end ${
    (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ")
  }`,
];
const cmdLine = `deno run -A bench/rest_bench.ts ${Deno.args.join(" ")}`.trim();
const report = [
  `## REST server benchmark (${started.toISOString().slice(0, 16)}Z)`,
  "",
  "Ratios > 1 mean mlt is better: peer ÷ mlt for times and memory, mlt ÷ peer for throughput. " +
  "† = the peer (or mlt) did not finish within the budget; its figure is extrapolated from what it did.",
  "",
  table(),
  "",
  `Command: \`${cmdLine}\` (${((Date.now() - started.getTime()) / 60000).toFixed(1)} min)`,
  "",
  "Versions:",
  ...versions.map((v) => `- ${v}`),
  "",
  "Notes:",
  `- Servers as shipped: \`mlt server\` (deno run -A ${
    [...mltV8Flags(mltDir), ...mltInstalled?.deno ?? []].join(" ")
  } ${
    mltInstalled?.main.endsWith(".js") ? "(the bundle of deno task install)" : "main.ts"
  }, one process), \`mlflow server\` (defaults: 4 uvicorn workers, artifact proxy, job runner), \`fml server\` (defaults). Logs go to files.`,
  "- RSS counts file pages the server has mapped: mlt's SQLite readers use mmap (256 MB), so pages of the database it read count toward its RSS (they are clean and reclaimable); PSS is shown beside RSS for the idle figure.",
  "- Clients: B2–B5 use a thin Deno fetch client on the same 2-core machine (loopback, keep-alive); B1 and the B5 client row use the real MLflow Python client, which is client-bound per call.",
  `- Sizes: B1 ${B1_KEYS} keys × ${STEPS} steps; B2 ${B2.runs} runs × ${B2.keys} keys × ${
    POINTS / (B2.runs * B2.keys)
  } steps; B3 ${VUS} VUs × ${ITERATIONS} iterations (8 requests, 1,441 points each); budget ${
    BUDGET_MS / 1000
  } s per workload per server.`,
  ...notes.map((n) => `- ${n}`),
  ...(failure ? [`- The run stopped early: ${(failure as Error).message}`] : []),
].join("\n");
console.log(report);
await Deno.mkdir(opt.out, { recursive: true });
const stamp = started.toISOString().slice(0, 19).replaceAll(":", "-");
await Deno.writeTextFile(join(opt.out, `rest-${stamp}.md`), report + "\n");
// The table with its context, for bench/report.ts (docs/benchmarks.md), and the raw samples.
const json = {
  bench: "rest",
  command: cmdLine,
  started: started.toISOString(),
  finished: new Date().toISOString(),
  versions,
  columns: ["mlt", "MLflow", "FastTrackML", "MLflow / mlt", "FastTrackML / mlt"],
  rows: table().split("\n").slice(2).map((line) =>
    line.slice(2, -2).split(" | ").map((c) => c.replaceAll("\\|", "|"))
  ),
  notes,
  raw,
};
await Deno.writeTextFile(join(opt.out, `rest-${stamp}.json`), JSON.stringify(json, null, 1));
log(`wrote ${join(opt.out, `rest-${stamp}.md`)}`);
if (!opt.dir && !opt.keep) await Deno.remove(workDir, { recursive: true }).catch(() => {});
Deno.removeSignalListener("SIGINT", onSignal);
Deno.removeSignalListener("SIGTERM", onSignal);
if (failure) throw failure;
