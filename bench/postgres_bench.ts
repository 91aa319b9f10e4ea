/**
 * PostgreSQL benchmark: `mlt server` against the real `mlflow server --workers 2` on the same
 * throwaway PostgreSQL cluster (tests/helpers/postgres.ts: initdb in a temp dir, fsync off, as
 * the `postgres` user when root), each server on its own database with the same data:
 *
 *   B2  1M points through log-batch of 1,000 metrics (10 runs × 100 keys × 1,000 steps);
 *   B3  20 concurrent writers, FastTrackML's k6 logging mix (bench/rest_common.ts); for mlt the
 *       writers are spread over 2 `mlt server` processes on the one database (10 each), for
 *       MLflow they all go to its one server of 2 workers;
 *   B4  search over 10,000 runs: `metrics.acc > 0.9 and params.lr = '0.01'` by metrics.acc DESC,
 *       first 100 (median of up to 20 after 5 warm-up calls);
 *   B5  a 1M-point history through metrics/get-history pages of 25,000.
 *
 * The B4/B5 data are written once through mlt's REST API into a seed database, which PostgreSQL
 * copies (CREATE DATABASE … TEMPLATE) for each server. Every workload is bounded by --budget
 * seconds; a server that cannot finish is cut and its figure extrapolated (marked †).
 *
 *   deno run -A bench/postgres_bench.ts [--points 1000000] [--runs 10000] [--history 1000000]
 *     [--vus 20] [--iterations 20] [--budget 120] [--servers mlt,mlflow] [--workloads b3,b4,b5,b2]
 */
import { parseArgs } from "node:util";
import { freePort, startCluster } from "../tests/helpers/postgres.ts";
import {
  type B3Result,
  createExperiment,
  createRun,
  hash01,
  quantile,
  runB3,
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
    vus: { type: "string", default: "20" },
    iterations: { type: "string", default: "20" },
    budget: { type: "string", default: "120" },
    servers: { type: "string", default: "mlt,mlflow" },
    workloads: { type: "string", default: "b3,b4,b5,b2" },
    python: { type: "string", default: Deno.env.get("MLT_PYTHON") ?? `${REPO}.venv/bin/python` },
  },
});
const POINTS = Number(opt.points), RUNS = Number(opt.runs), HISTORY = Number(opt.history);
const VUS = Number(opt.vus), ITERATIONS = Number(opt.iterations);
const BUDGET_MS = Number(opt.budget) * 1000;
const B2_RUNS = 10, B2_KEYS = 100, B2_STEPS_PER_REQ = 10;
type Name = "mlt" | "mlflow";
const names = opt.servers.split(",").map((s) => s.trim()) as Name[];
const WORKLOADS = new Set(opt.workloads.split(",").map((s) => s.trim()));

const log = (msg: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The servers' working folder (their default artifact roots land there).
const WORK = Deno.makeTempDirSync({ prefix: "mlt-pg-bench-" });

interface Server {
  url: string;
  child: Deno.ChildProcess;
}
/** Servers started and not yet stopped. */
const live = new Set<Server>();

// Starts a server in its own process group and waits (up to 2 min) for /health.
async function start(argv: string[], port: number): Promise<Server> {
  const child = new Deno.Command("setsid", {
    args: argv,
    cwd: WORK,
    env: { MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true", NO_COLOR: "1" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const s = { url, child };
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health`);
      await res.body?.cancel();
      if (res.ok) {
        live.add(s);
        return s;
      }
    } catch { /* not yet */ }
    await sleep(200);
  }
  stop(s);
  throw new Error(`${argv.join(" ")} did not start`);
}

function stop(s: Server): Promise<Deno.CommandStatus> {
  live.delete(s);
  for (const sig of ["SIGTERM", "SIGKILL"] as const) {
    setTimeout(() => {
      try {
        Deno.kill(-s.child.pid, sig);
      } catch { /* gone */ }
    }, sig === "SIGTERM" ? 0 : 10_000);
  }
  return s.child.status;
}

function mltServer(url: string): Promise<Server> {
  const port = freePort();
  return start([
    Deno.execPath(),
    "run",
    "-A",
    `${REPO}main.ts`,
    "server",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--backend-store-uri",
    url,
  ], port);
}

function mlflowServer(url: string): Promise<Server> {
  const port = freePort();
  return start([
    opt.python,
    "-m",
    "mlflow",
    "server",
    "--backend-store-uri",
    url.replace("postgresql://", "postgresql+psycopg2://"),
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--workers",
    "2",
  ], port);
}

// ---------------------------------------------------------------------------------------------
// Workloads: each returns [value for the ratio (lower is better), cell text]

type Cell = [number, string];
const ms = (x: number) => x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`;
const rate = (x: number) => x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0);

async function b2(url: string): Promise<Cell> {
  const exp = await createExperiment(url, "b2");
  const steps = POINTS / (B2_RUNS * B2_KEYS);
  let done = 0;
  const t = performance.now();
  outer: for (let r = 0; r < B2_RUNS; r++) {
    const run = await createRun(url, exp, `b2-${r}`);
    for (let s0 = 0; s0 < steps; s0 += B2_STEPS_PER_REQ) {
      const parts: string[] = [];
      for (let k = 0; k < B2_KEYS; k++) {
        for (let step = s0; step < s0 + B2_STEPS_PER_REQ; step++) {
          parts.push(
            `{"key":"m${k}","value":${hash01(step, k)},"timestamp":${T0 + step},"step":${step}}`,
          );
        }
      }
      await timedPost(url, "runs/log-batch", `{"run_id":"${run}","metrics":[${parts.join(",")}]}`);
      done += parts.length;
      if (performance.now() - t > BUDGET_MS) break outer;
    }
  }
  const perSec = done / ((performance.now() - t) / 1000);
  const cut = done < POINTS ? ` († from ${rate(done)} pts)` : "";
  return [POINTS / perSec, `${(POINTS / perSec).toFixed(1)} s; ${rate(perSec)} pts/s${cut}`];
}

// B3 over `urls`: the writers split evenly between them, run at once; the results merged.
async function b3(urls: string[]): Promise<Cell> {
  const parts: B3Result[] = await Promise.all(urls.map((u, i) =>
    runB3(u, {
      vus: Math.floor(VUS / urls.length) + (i < VUS % urls.length ? 1 : 0),
      iterations: ITERATIONS,
      budgetMs: BUDGET_MS,
    })
  ));
  const seconds = Math.max(...parts.map((p) => p.seconds));
  const sum = (f: (p: B3Result) => number) => parts.reduce((a, p) => a + f(p), 0);
  const all = parts.flatMap((p) => [...p.latencies.values()].flat());
  const errors = sum((p) => p.errors);
  const reqs = sum((p) => p.requests) / seconds;
  return [
    1 / reqs,
    `${rate(reqs)} req/s; ${rate(sum((p) => p.points) / seconds)} pts/s; p50 ${
      ms(quantile(all, 0.5))
    }, p95 ${ms(quantile(all, 0.95))}${errors ? `; ${errors} errors: ${parts[0].firstError}` : ""}`,
  ];
}

async function b4(url: string, exp: string): Promise<Cell> {
  const body = JSON.stringify({
    experiment_ids: [exp],
    filter: "metrics.acc > 0.9 and params.lr = '0.01'",
    order_by: ["metrics.acc DESC"],
    max_results: 100,
  });
  const first = await timedPost(url, "runs/search", body);
  const found = (JSON.parse(first.text).runs ?? []).length;
  for (let i = 0; i < 5 && first.ms < BUDGET_MS / 20; i++) {
    await timedPost(url, "runs/search", body);
  }
  const samples: number[] = [];
  const t = performance.now();
  for (let i = 0; i < 20 && (i < 3 || performance.now() - t < BUDGET_MS / 4); i++) {
    samples.push((await timedPost(url, "runs/search", body)).ms);
  }
  const p50 = quantile(samples, 0.5);
  return [p50, `${ms(p50)} (first ${ms(first.ms)}; ${found} runs)`];
}

async function b5(url: string, run: string): Promise<Cell> {
  const w = await walkHistory(url, run, "loss", { countPoints: true, budgetMs: BUDGET_MS });
  if (w.cut) {
    const est = w.ms * HISTORY / Math.max(1, w.points);
    return [est, `${ms(est)} († from ${rate(w.points)} pts)`];
  }
  const samples = [w.ms];
  for (let i = 0; i < 2; i++) samples.push((await walkHistory(url, run, "loss")).ms);
  const p50 = quantile(samples, 0.5);
  return [p50, `${ms(p50)} (${w.pages} pages, ${rate(w.points)} pts)`];
}

// ---------------------------------------------------------------------------------------------

const cluster = startCluster();
const rows = new Map<string, Partial<Record<Name, Cell>>>();
const put = (row: string, name: Name, cell: Cell) => {
  rows.set(row, { ...rows.get(row), [name]: cell });
  log(`${name} ${row}: ${cell[1]}`);
};
const guard = async (row: string, name: Name, f: () => Promise<Cell>) => {
  if (!WORKLOADS.has(row.slice(0, 2).toLowerCase())) return;
  try {
    put(row, name, await f());
  } catch (e) {
    const cause = (e as Error).cause ? ` (${(e as Error).cause})` : "";
    put(row, name, [NaN, `failed: ${(e as Error).message.slice(0, 120)}${cause}`]);
  }
};
// An interrupted run still stops its servers and removes its cluster.
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => {
    for (const s of live) stop(s);
    cluster.destroy();
    Deno.removeSync(WORK, { recursive: true });
    Deno.exit(130);
  });
}
try {
  const seedDb = cluster.createDatabase("seed");
  const seeder = await mltServer(cluster.url(seedDb));
  log(`seeding ${RUNS} runs and a ${HISTORY}-point history through mlt`);
  // B4 and B5 read the seed; B2 and B3 alone need none.
  const seeded = WORKLOADS.has("b4") || WORKLOADS.has("b5");
  const sd = await seed(seeder.url, seeded ? RUNS : 0, seeded ? HISTORY : 0, log);
  await stop(seeder);
  log(`seeded in ${sd.seconds.toFixed(0)} s`);
  for (const name of names) {
    const db = `${name}_bench`;
    cluster.psql(`CREATE DATABASE ${db} TEMPLATE ${seedDb}`);
    cluster.psql("ANALYZE", db);
    const url = cluster.url(db);
    const servers = name === "mlt"
      ? await Promise.all([mltServer(url), mltServer(url)])
      : [await mlflowServer(url)];
    try {
      await guard(
        `B3 ${VUS} writers (mlt: 2 servers; MLflow: 1 server, 2 workers)`,
        name,
        () => b3(servers.map((s) => s.url)),
      );
      await guard(
        `B4 search ${rate(RUNS)} runs (p50)`,
        name,
        () => b4(servers[0].url, sd.searchExp),
      );
      await guard(
        `B5 ${rate(HISTORY)}-point history`,
        name,
        () => b5(servers[0].url, sd.historyRun),
      );
      await guard(`B2 ${rate(POINTS)} points, batches of 1,000`, name, () => b2(servers[0].url));
    } finally {
      await Promise.all(servers.map(stop));
    }
  }
} finally {
  cluster.destroy();
  Deno.removeSync(WORK, { recursive: true });
}

const version = new TextDecoder().decode(
  new Deno.Command(opt.python, { args: ["-c", "import mlflow; print(mlflow.__version__)"] })
    .outputSync().stdout,
).trim();
console.log(`\n| workload (PostgreSQL) | mlt | MLflow ${version} | MLflow / mlt |`);
console.log("| --- | --- | --- | --- |");
for (const [row, cells] of rows) {
  const [a, b] = [cells.mlt, cells.mlflow];
  const ratio = a && b && Number.isFinite(a[0]) && Number.isFinite(b[0])
    ? `${(b[0] / a[0]).toFixed(1)}×`
    : "—";
  console.log(`| ${row} | ${a?.[1] ?? "—"} | ${b?.[1] ?? "—"} | ${ratio} |`);
}
console.log(
  `\n${POINTS} B2 points, ${RUNS} B4 runs, ${HISTORY} B5 points, B3 ${VUS} writers × ` +
    `${ITERATIONS} iterations, budget ${opt.budget} s per workload; † extrapolated.`,
);
