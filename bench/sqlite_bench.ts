/**
 * Benchmark of the SQLite store, against raw node:sqlite and MLflow's own SqlAlchemyStore (the
 * Python peer bench/mlflow_sqlite_store.py) in the same run and on the same database file:
 *
 *   1. log-batch: 1M points in batches of 1,000 (10 keys × 100 steps) through the store, vs. the
 *      same rows inserted by a bare prepared statement into MLflow's metrics table (same indexes,
 *      same transaction size), vs. MLflow's log_batch (fewer points: it is much slower);
 *   2. search over 10,000 runs (5 params, 5 metrics, 2 tags each) with a filter and an order;
 *   3. one metric history of 1M points.
 *
 *   deno run -A bench/sqlite_bench.ts [--points 1000000] [--runs 10000] [--peer-points 100000]
 *                                     [--dir /tmp/x] [--python .venv/bin/python] [--no-peer]
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import { MLFLOW_DDL } from "../src/store/sqlite/schema.ts";
import type { Metric } from "../src/model.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    points: { type: "string", default: "1000000" },
    runs: { type: "string", default: "10000" },
    "peer-points": { type: "string", default: "100000" },
    dir: { type: "string" },
    python: { type: "string", default: new URL("../.venv/bin/python", import.meta.url).pathname },
    "no-peer": { type: "boolean", default: false },
  },
});
const POINTS = Number(opt.points);
const RUNS = Number(opt.runs);
const KEYS = 10, STEPS = 100, BATCH = KEYS * STEPS;
const FILTER = "metrics.acc > 0.9 and params.lr = '0.01'";
const ORDER = "metrics.acc DESC";
const T0 = 1_700_000_000_000;

let seed = 42;
function rand(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

function batch(b: number): Metric[] {
  const out: Metric[] = [];
  for (let k = 0; k < KEYS; k++) {
    for (let s = 0; s < STEPS; s++) {
      const step = b * STEPS + s;
      out.push({ key: `m${k}`, value: rand(), timestamp: T0 + step, step });
    }
  }
  return out;
}

function seconds(t: number): number {
  return (performance.now() - t) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timedMs(fn: () => Promise<unknown>, repeat = 5): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

// The same rows as the store writes, through one prepared statement: the floor for the store.
function rawInsert(path: string): number {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536");
  db.exec(MLFLOW_DDL);
  db.exec("INSERT INTO experiments (experiment_id, name) VALUES (0, 'Default')");
  db.exec("INSERT INTO runs (run_uuid, experiment_id) VALUES ('raw', 0)");
  const ins = db.prepare(
    "INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) " +
      "VALUES (?, ?, ?, ?, ?, 0)",
  );
  seed = 42;
  const t = performance.now();
  for (let b = 0; b < POINTS / BATCH; b++) {
    db.exec("BEGIN IMMEDIATE");
    for (const m of batch(b)) ins.run(m.key, m.value, m.timestamp, "raw", m.step);
    db.exec("COMMIT");
  }
  const s = seconds(t);
  db.close();
  return POINTS / s;
}

async function storeInsert(store: SqliteStore, runId: string): Promise<number> {
  seed = 42;
  const t = performance.now();
  for (let b = 0; b < POINTS / BATCH; b++) await store.logBatch(runId, { metrics: batch(b) });
  return POINTS / seconds(t);
}

async function buildRuns(store: SqliteStore, expId: string): Promise<number> {
  const t = performance.now();
  const lrs = ["0.001", "0.01", "0.1"];
  for (let r = 0; r < RUNS; r++) {
    const run = await store.createRun({
      experimentId: expId,
      runName: `run-${r}`,
      startTime: T0 + r,
    });
    await store.logBatch(run.info.runId, {
      params: Array.from({ length: 5 }, (_, i) => ({
        key: i === 0 ? "lr" : `p${i}`,
        value: i === 0 ? lrs[r % 3] : String(rand()),
      })),
      metrics: ["acc", "loss", "f1", "auc", "mse"].map((key) => ({
        key,
        value: rand(),
        timestamp: T0,
        step: 0,
      })),
      tags: [{ key: "team", value: `t${r % 7}` }, { key: "kind", value: "bench" }],
    });
  }
  return RUNS / seconds(t);
}

async function peer(args: string[]): Promise<Record<string, number>> {
  const out = await new Deno.Command(opt.python!, {
    args: [new URL("./mlflow_sqlite_store.py", import.meta.url).pathname, ...args],
    env: { MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const dir = opt.dir ?? await Deno.makeTempDir({ prefix: "mlt-sqlite-bench-" });
const dbPath = join(dir, "bench.db");
const uri = `sqlite:///${dbPath}`;
const store = new SqliteStore(uri, { warn: () => {} });
const expId = await store.createExperiment("bench");
const histRun = (await store.createRun({ experimentId: expId, runName: "history" })).info.runId;
// Alternating rounds, best of two each: the machines running this are shared and noisy.
let raw = 0, mltInsert = 0;
for (let round = 0; round < 2; round++) {
  raw = Math.max(raw, rawInsert(join(dir, `raw${round}.db`)));
  const runId = round === 0
    ? histRun
    : (await store.createRun({ experimentId: expId, runName: "insert-2" })).info.runId;
  mltInsert = Math.max(mltInsert, await storeInsert(store, runId));
}
const runsPerS = await buildRuns(store, expId);
const search = async () => {
  const page = await store.searchRuns({ experimentIds: [expId], filter: FILTER, orderBy: [ORDER] });
  return page.items.length;
};
const found = await search();
const searchMs = await timedMs(search);
const historyMs = await timedMs(() => store.getMetricHistory(histRun, "m0"), 3);
const histPoints = (await store.getMetricHistory(histRun, "m0")).items.length;
const oneKey = (await store.createRun({ experimentId: expId, runName: "one-key" })).info.runId;
seed = 7;
for (let b = 0; b < POINTS / BATCH; b++) {
  await store.logBatch(oneKey, {
    metrics: Array.from({ length: BATCH }, (_, i) => ({
      key: "loss",
      value: rand(),
      timestamp: T0 + b * BATCH + i,
      step: b * BATCH + i,
    })),
  });
}
const bigHistoryMs = await timedMs(() => store.getMetricHistory(oneKey, "loss"), 3);
await store.close();

const rows: [string, string, string][] = [
  ["log-batch (1,000 points/batch)", `${Math.round(mltInsert)} points/s`, ""],
  [
    "raw node:sqlite, same rows",
    `${Math.round(raw)} points/s`,
    `mlt/raw = ${(mltInsert / raw).toFixed(2)}`,
  ],
  ["create run + log-batch", `${Math.round(runsPerS)} runs/s`, ""],
  [`search ${RUNS} runs (${found} found)`, `${searchMs.toFixed(1)} ms`, `${FILTER} / ${ORDER}`],
  [`history of ${histPoints} points`, `${historyMs.toFixed(1)} ms`, ""],
  [`history of ${POINTS} points`, `${bigHistoryMs.toFixed(1)} ms`, ""],
];
if (!opt["no-peer"]) {
  const p = await peer([dbPath, expId, oneKey, histRun, FILTER, ORDER, String(opt["peer-points"])]);
  rows.push(
    [
      "MLflow log_batch",
      `${Math.round(p.insert_points_per_s)} points/s`,
      `mlt/MLflow = ${(mltInsert / p.insert_points_per_s).toFixed(1)}`,
    ],
    [
      "MLflow search_runs",
      `${p.search_ms.toFixed(1)} ms`,
      `MLflow/mlt = ${(p.search_ms / searchMs).toFixed(1)} (found ${p.search_found})`,
    ],
    [
      `MLflow history of ${p.history_points} points`,
      `${p.history_ms.toFixed(1)} ms`,
      `MLflow/mlt = ${(p.history_ms / bigHistoryMs).toFixed(1)}`,
    ],
  );
}
for (const [a, b, c] of rows) console.log(`${a.padEnd(40)} ${b.padStart(18)}  ${c}`);
if (!opt.dir) await Deno.remove(dir, { recursive: true });
