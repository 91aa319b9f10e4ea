/**
 * PostgreSQL benchmark: `mlt server` against the real `mlflow server --workers 2` and FastTrackML
 * (`fml server`) on the same throwaway PostgreSQL cluster (tests/helpers/postgres.ts: initdb in a
 * temp dir, fsync off, as the `postgres` user when root), each server on its own database:
 *
 *   B2  1M points through log-batch of 1,000 metrics (10 runs × 100 keys × 1,000 steps);
 *   B3  20 concurrent writers, FastTrackML's k6 logging mix (bench/rest_common.ts); for mlt the
 *       writers are spread over 2 `mlt server` processes on the one database (10 each), for
 *       MLflow they all go to its one server of 2 workers, for FastTrackML to its one server;
 *   B4  search over 10,000 runs: `metrics.acc > 0.9 and params.lr = '0.01'` by metrics.acc DESC,
 *       first 100 (median of up to 20 after 5 warm-up calls), after a VACUUM ANALYZE of B3's
 *       writes (else autovacuum's work on them is counted as the searches');
 *   B5  a 1M-point history through metrics/get-history pages of 25,000.
 *
 * With `floor` among --servers (the default), a column "PostgreSQL alone" shows what the cluster
 * spends on B2's and B4's unavoidable SQL under MLflow's schema with no server in between
 * (bench/postgres_floor.ts), and "MLflow / PostgreSQL alone" the highest ratio against MLflow any
 * server on this schema could reach in the same run.
 *
 * The B4/B5 data are written once through mlt's REST API into a seed database, which PostgreSQL
 * copies (CREATE DATABASE … TEMPLATE) for mlt and MLflow (same schema); FastTrackML has its own
 * schema and is seeded through its own REST API. Every workload is bounded by --budget seconds; a
 * server that cannot finish is cut and its figure extrapolated (marked †). B2, B3 and B4 also show
 * the CPU time spent per request (per 1,000-point batch for B2) by the server's processes and by
 * PostgreSQL's, from /proc (ticks of 10 ms), less sensitive to the machine's load than wall time.
 *
 *   deno run -A bench/postgres_bench.ts [--points 1000000] [--runs 10000] [--history 1000000]
 *     [--vus 20] [--iterations 20] [--budget 120] [--servers mlt,mlflow,fml,floor]
 *     [--workloads b3,b4,b5,b2] [--fml .venv-fml/bin/fml] [--json FILE]
 *
 * FastTrackML: `python3 -m venv .venv-fml && .venv-fml/bin/pip install fasttrackml` (the `fml`
 * binary; its own venv, it pins an older mlflow).
 */
import { parseArgs } from "node:util";
import { startCluster } from "../tests/helpers/postgres.ts";
import { floorB2, floorB4 } from "./postgres_floor.ts";
import { benchContext } from "./bench_context.ts";
import {
  live,
  type Name,
  postmasterPid,
  type Server,
  startServer,
  stop,
  treeCpuMs,
} from "./postgres_bench_servers.ts";
import {
  b2Batches,
  type B3Result,
  b4Body,
  createExperiment,
  createRun,
  quantile,
  runB3,
  type Seed,
  seed,
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
    servers: { type: "string", default: "mlt,mlflow,fml,floor" },
    workloads: { type: "string", default: "b3,b4,b5,b2" },
    python: { type: "string", default: Deno.env.get("MLT_PYTHON") ?? `${REPO}.venv/bin/python` },
    fml: { type: "string", default: `${REPO}.venv-fml/bin/fml` },
    json: { type: "string" },
  },
});
const POINTS = Number(opt.points), RUNS = Number(opt.runs), HISTORY = Number(opt.history);
const VUS = Number(opt.vus), ITERATIONS = Number(opt.iterations);
const BUDGET_MS = Number(opt.budget) * 1000;
// "floor" is no server: PostgreSQL alone under B2 and B4 (bench/postgres_floor.ts).
type Col = Name | "floor";
const cols = opt.servers.split(",").map((s) => s.trim()) as Col[];
const names = cols.filter((n): n is Name => n !== "floor");
const WORKLOADS = new Set(opt.workloads.split(",").map((s) => s.trim()));
const LABEL: Record<Col, string> = {
  mlt: "mlt",
  mlflow: "MLflow",
  fml: "FastTrackML",
  floor: "PostgreSQL alone",
};

const log = (msg: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
const context = await benchContext(`deno run -A bench/postgres_bench.ts ${Deno.args.join(" ")}`, {
  mlflow: [opt.python, "-c", "import mlflow; print('mlflow', mlflow.__version__)"],
  fml: names.includes("fml") ? [opt.fml, "--version"] : undefined,
});
const setup = {
  repo: REPO,
  python: opt.python,
  fml: opt.fml,
  work: Deno.makeTempDirSync({ prefix: "mlt-pg-bench-" }),
};

// ---------------------------------------------------------------------------------------------
// Workloads: each returns [value for the ratio (lower is better), cell text]

type Cell = [number, string];
const ms = (x: number) => x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`;
const rate = (x: number) => x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0);

// CPU time (ms) spent so far by the servers' processes and by the cluster's.
type Cpu = { server: number; pg: number };
let cpuNow: (servers: Server[]) => Cpu = () => ({ server: 0, pg: 0 });
const cpuText = (a: Cpu, b: Cpu, n: number, per: string) =>
  `; CPU/${per} ${((b.server - a.server) / n).toFixed(1)} ms server + ` +
  `${((b.pg - a.pg) / n).toFixed(1)} ms PostgreSQL`;

async function b2(servers: Server[]): Promise<Cell> {
  const url = servers[0].url;
  const exp = await createExperiment(url, "b2");
  const runs: string[] = [];
  let done = 0;
  const cpu0 = cpuNow(servers);
  const t = performance.now();
  for (const { run, metrics } of b2Batches(POINTS)) {
    runs[run] ??= await createRun(url, exp, `b2-${run}`);
    await timedPost(url, "runs/log-batch", JSON.stringify({ run_id: runs[run], metrics }));
    done += metrics.length;
    if (performance.now() - t > BUDGET_MS) break;
  }
  const perSec = done / ((performance.now() - t) / 1000);
  const cut = done < POINTS ? ` († from ${rate(done)} pts)` : "";
  const cpu = cpuText(cpu0, cpuNow(servers), done / 1000, "batch");
  return [POINTS / perSec, `${(POINTS / perSec).toFixed(1)} s; ${rate(perSec)} pts/s${cut}${cpu}`];
}

// B3 over the servers: the writers split evenly between them, run at once; the results merged.
async function b3(servers: Server[]): Promise<Cell> {
  const cpu0 = cpuNow(servers);
  const parts: B3Result[] = await Promise.all(servers.map((s, i) =>
    runB3(s.url, {
      vus: Math.floor(VUS / servers.length) + (i < VUS % servers.length ? 1 : 0),
      iterations: ITERATIONS,
      budgetMs: BUDGET_MS,
    })
  ));
  const cpu1 = cpuNow(servers);
  const seconds = Math.max(...parts.map((p) => p.seconds));
  const sum = (f: (p: B3Result) => number) => parts.reduce((a, p) => a + f(p), 0);
  const all = parts.flatMap((p) => [...p.latencies.values()].flat());
  const errors = sum((p) => p.errors);
  const reqs = sum((p) => p.requests) / seconds;
  return [
    1 / reqs,
    `${rate(reqs)} req/s; ${rate(sum((p) => p.points) / seconds)} pts/s; p50 ${
      ms(quantile(all, 0.5))
    }, p95 ${ms(quantile(all, 0.95))}${cpuText(cpu0, cpu1, sum((p) => p.requests), "req")}${
      errors ? `; ${errors} errors: ${parts[0].firstError}` : ""
    }`,
  ];
}

async function b4(servers: Server[], exp: string): Promise<Cell> {
  const url = servers[0].url;
  const body = b4Body(exp);
  const first = await timedPost(url, "runs/search", body);
  const found = (JSON.parse(first.text).runs ?? []).length;
  for (let i = 0; i < 5 && first.ms < BUDGET_MS / 20; i++) {
    await timedPost(url, "runs/search", body);
  }
  const samples: number[] = [];
  const cpu0 = cpuNow(servers);
  const t = performance.now();
  for (let i = 0; i < 20 && (i < 3 || performance.now() - t < BUDGET_MS / 4); i++) {
    samples.push((await timedPost(url, "runs/search", body)).ms);
  }
  const cpu = cpuText(cpu0, cpuNow(servers), samples.length, "req");
  const p50 = quantile(samples, 0.5);
  return [p50, `${ms(p50)} (first ${ms(first.ms)}; ${found} runs)${cpu}`];
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
cpuNow = (servers) => ({
  server: treeCpuMs(servers.map((s) => s.child.pid)),
  pg: treeCpuMs([postmasterPid(cluster.dir)]),
});
const rows = new Map<string, Partial<Record<Col, Cell>>>();
const notes: string[] = [];
const put = (row: string, name: Col, cell: Cell) => {
  rows.set(row, { ...rows.get(row), [name]: cell });
  log(`${name} ${row}: ${cell[1]}`);
};
const guard = async (row: string, name: Col, f: () => Promise<Cell>) => {
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
    Deno.removeSync(setup.work, { recursive: true });
    Deno.exit(130);
  });
}
const B4_ROW = `B4 search ${rate(RUNS)} runs (p50)`;
const B2_ROW = `B2 ${rate(POINTS)} points, batches of 1,000`;
// B4 reads the seeded runs, B5 the seeded history; B2 and B3 alone need none.
const seedRuns = WORKLOADS.has("b4") ? RUNS : 0;
const seedHistory = WORKLOADS.has("b5") ? HISTORY : 0;
const seedThrough = async (s: Server, who: string): Promise<Seed> => {
  log(`seeding ${seedRuns} runs and a ${seedHistory}-point history (${who})`);
  const sd = await seed(s.url, seedRuns, seedHistory, log);
  log(`seeded in ${sd.seconds.toFixed(0)} s`);
  if (seedRuns + seedHistory > 0) {
    notes.push(`Seed through ${who}'s REST API took ${sd.seconds.toFixed(0)} s.`);
  }
  return sd;
};
try {
  const seedDb = cluster.createDatabase("seed");
  const seeder = await startServer("mlt", cluster.url(seedDb), setup);
  const sd = await seedThrough(seeder, "mlt").finally(() => stop(seeder));
  for (const name of names) {
    const db = `${name}_bench`;
    // FastTrackML has its own schema: an empty database it creates its tables in.
    cluster.psql(
      name === "fml" ? `CREATE DATABASE ${db}` : `CREATE DATABASE ${db} TEMPLATE ${seedDb}`,
    );
    cluster.psql("ANALYZE", db);
    const url = cluster.url(db);
    const servers = name === "mlt"
      ? await Promise.all([startServer(name, url, setup), startServer(name, url, setup)])
      : [await startServer(name, url, setup)];
    try {
      const own = name === "fml" ? await seedThrough(servers[0], "FastTrackML") : sd;
      if (name === "fml") cluster.psql("ANALYZE", db);
      await guard(
        `B3 ${VUS} writers (mlt: 2 servers; MLflow: 1 server, 2 workers; FastTrackML: 1 server)`,
        name,
        () => b3(servers),
      );
      // B3's writes leave autovacuum busy for a while: B4 and B5 are measured on a settled
      // database (as autovacuum leaves it a minute later), the same for every server, not while
      // autovacuum's CPU is counted as the search's.
      if (WORKLOADS.has("b3")) cluster.psql("VACUUM ANALYZE", db);
      await guard(B4_ROW, name, () => b4(servers, own.searchExp));
      await guard(
        `B5 ${rate(HISTORY)}-point history`,
        name,
        () => b5(servers[0].url, own.historyRun),
      );
      await guard(B2_ROW, name, () => b2(servers));
    } finally {
      await Promise.all(servers.map(stop));
    }
  }
  if (cols.includes("floor")) {
    const db = "floor_bench";
    cluster.psql(`CREATE DATABASE ${db} TEMPLATE ${seedDb}`);
    cluster.psql("VACUUM ANALYZE", db);
    const url = cluster.url(db);
    await guard(B4_ROW, "floor", async () => {
      const p50 = await floorB4(url);
      return [p50, `${ms(p50)} (the driving metric's scan alone)`];
    });
    await guard(B2_ROW, "floor", async () => {
      const { perSec, withoutFk } = await floorB2(url, POINTS, BUDGET_MS);
      return [
        POINTS / perSec,
        `${rate(perSec)} pts/s (one statement per batch; ${rate(withoutFk)} pts/s without ` +
        "metrics' foreign key)",
      ];
    });
  }
} finally {
  cluster.destroy();
  Deno.removeSync(setup.work, { recursive: true });
}

const ctx = context.finish();
const others = names.filter((n) => n !== "mlt");
const shown: Col[] = cols.filter((n) => n === "floor" || names.includes(n));
// Each other server against mlt; MLflow against the floor: the most any server could reach.
const pairs: [Col, Col][] = [
  ...others.map((n): [Col, Col] => [n, "mlt"]),
  ...(cols.includes("floor") && names.includes("mlflow")
    ? [["mlflow", "floor"] as [Col, Col]]
    : []),
];
const columns = [
  ...shown.map((n) => n === "mlflow" ? `MLflow (${ctx.versions.mlflow})` : LABEL[n]),
  ...pairs.map(([a, b]) => `${LABEL[a]} / ${LABEL[b]}`),
];
const table = [...rows].map(([row, cells]) => {
  const ratio = ([n, d]: [Col, Col]) => {
    const [a, b] = [cells[d], cells[n]];
    return a && b && Number.isFinite(a[0]) && Number.isFinite(b[0])
      ? `${(b[0] / a[0]).toFixed(1)}×`
      : "—";
  };
  return [row, ...shown.map((n) => cells[n]?.[1] ?? "—"), ...pairs.map(ratio)];
});
notes.push(
  `${POINTS} B2 points, ${RUNS} B4 runs, ${HISTORY} B5 points, B3 ${VUS} writers × ` +
    `${ITERATIONS} iterations, budget ${opt.budget} s per workload; † extrapolated.`,
  `Load average ${ctx.load.start} at start, ${ctx.load.end} at end; ${ctx.machine}; ` +
    `${ctx.started.slice(0, 16)} to ${ctx.finished.slice(11, 16)} UTC` +
    `${ctx.versions.fml ? `; ${ctx.versions.fml}` : ""}.`,
);
console.log(`\n| workload (PostgreSQL) | ${columns.join(" | ")} |`);
console.log(`| --- |${columns.map(() => " --- |").join("")}`);
for (const r of table) console.log(`| ${r.join(" | ")} |`);
console.log(`\n${notes.join("\n")}`);
if (opt.json) {
  const out = { bench: "postgres", ...ctx, columns, rows: table, notes };
  await Deno.writeTextFile(opt.json, JSON.stringify(out, null, 2) + "\n");
}
