/**
 * What the REST benchmarks (bench/rest_bench.ts, bench/server_micro_bench.ts) share: a thin
 * client (api, timedPost, createExperiment, createRun), the deterministic values and quantiles,
 * the B4/B5 seed data, the B5 history walk, and workload B3: FastTrackML's k6 logging script run
 * by concurrent virtual users. Each B3 iteration creates a run, then logs one metric, batches of
 * 40, 400 and 1,000 points, 10 and 100 params, and finishes the run: 8 requests, 1,441 points.
 */

/** Timestamps of the seeded and logged points start here. */
export const T0 = 1_700_000_000_000;

/** A deterministic value in [0, 1) for (a, b): every server gets the same numbers. */
export function hash01(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 13), 0x45d9f3b);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** The q-quantile of `xs` (nearest rank). */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Median, min and max of each figure over the rounds, per subject. */
export function summarize(
  rounds: Record<string, Record<string, number>[]>,
): Record<string, Record<string, { median: number; min: number; max: number }>> {
  const out: Record<string, Record<string, { median: number; min: number; max: number }>> = {};
  for (const [subject, rows] of Object.entries(rounds)) {
    out[subject] = {};
    for (const k of Object.keys(rows[0])) {
      const xs = rows.map((row) => row[k]);
      out[subject][k] = { median: quantile(xs, 0.5), min: Math.min(...xs), max: Math.max(...xs) };
    }
  }
  return out;
}

/** Calls a REST endpoint with a JSON body; returns its answer, throws on a non-2xx. */
export async function api(
  url: string,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/api/2.0/mlflow/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : {};
}

/**
 * POSTs `body`; returns the time to the last byte of the answer (ms) and the answer's text,
 * throws on a non-2xx.
 */
export async function timedPost(
  url: string,
  path: string,
  body: string,
): Promise<{ ms: number; text: string }> {
  const t = performance.now();
  const res = await fetch(`${url}/api/2.0/mlflow/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const text = await res.text();
  const ms = performance.now() - t;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
  return { ms, text };
}

/** Creates an experiment with a unique name; returns its id. */
export async function createExperiment(url: string, name: string): Promise<string> {
  const r = await api(url, "experiments/create", { name: `${name}-${crypto.randomUUID()}` });
  return String(r.experiment_id);
}

/** Creates a run; returns its id. */
export async function createRun(
  url: string,
  experimentId: string,
  name?: string,
  start = Date.now(),
): Promise<string> {
  const r = await api(url, "runs/create", {
    experiment_id: experimentId,
    run_name: name,
    start_time: start,
    user_id: "bench",
  }) as { run: { info: { run_id?: string; run_uuid?: string } } };
  return (r.run.info.run_id ?? r.run.info.run_uuid)!;
}

// ---------------------------------------------------------------------------------------------
// B2: 1,000-point log-batches

/** B2's shape: `runs` runs × `keys` metric keys, sent `stepsPerBatch` steps of every key at once. */
export const B2 = { runs: 10, keys: 100, stepsPerBatch: 10 } as const;

/** A metric point of a B2 batch. */
export interface B2Point {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/**
 * B2's batches for `points` points, in sending order: the index of the run (0 … runs - 1) and
 * its points, key by key, each key's steps in order. Every server gets the same numbers.
 */
export function* b2Batches(points: number): Generator<{ run: number; metrics: B2Point[] }> {
  const steps = points / (B2.runs * B2.keys);
  for (let run = 0; run < B2.runs; run++) {
    for (let s0 = 0; s0 < steps; s0 += B2.stepsPerBatch) {
      const metrics: B2Point[] = [];
      for (let k = 0; k < B2.keys; k++) {
        for (let step = s0; step < s0 + B2.stepsPerBatch; step++) {
          metrics.push({ key: `m${k}`, value: hash01(step, k), timestamp: T0 + step, step });
        }
      }
      yield { run, metrics };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Seed data for B4 and B5

/** Runs `count` jobs on `width` async workers. */
async function pool(count: number, width: number, job: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

/** Where the seed is: the experiment B4 searches, the run whose history B5 reads. */
export interface Seed {
  searchExp: string;
  historyRun: string;
  seconds: number;
}

/** B4's filter over the runs seed() writes: about a third of a tenth of them match. */
export const B4_FILTER = "metrics.acc > 0.9 and params.lr = '0.01'";

/** B4's runs/search body: `filter` in experiment `exp`, by metrics.acc DESC, first 100. */
export function b4Body(exp: string, filter = B4_FILTER): string {
  return JSON.stringify({
    experiment_ids: [exp],
    filter,
    order_by: ["metrics.acc DESC"],
    max_results: 100,
  });
}

/**
 * Writes the B4/B5 data through the REST API at `url`: `runs` runs in a new "b4-search-…"
 * experiment (lr in 0.001/0.01/0.1, four more params, five metrics, two tags each; 4 writers),
 * and one run in a new "b5-history-…" experiment with a `history`-point "loss" series (batches of
 * 1,000). `progress` is told every 2,000 runs.
 */
export async function seed(
  url: string,
  runs: number,
  history: number,
  progress?: (msg: string) => void,
): Promise<Seed> {
  const t = performance.now();
  const searchExp = await createExperiment(url, "b4-search");
  const lrs = ["0.001", "0.01", "0.1"];
  await pool(runs, 4, async (r) => {
    const runId = await createRun(url, searchExp, `run-${r}`, T0 + r);
    await api(url, "runs/log-batch", {
      run_id: runId,
      params: [
        { key: "lr", value: lrs[r % 3] },
        ...[1, 2, 3, 4].map((i) => ({ key: `p${i}`, value: String(hash01(r, i)) })),
      ],
      metrics: ["acc", "loss", "f1", "auc", "mse"].map((key, i) => ({
        key,
        value: hash01(r, 10 + i),
        timestamp: T0 + r,
        step: 0,
      })),
      tags: [{ key: "team", value: `t${r % 7}` }, { key: "kind", value: "bench" }],
    });
    if ((r + 1) % 2000 === 0) progress?.(`  seeded ${r + 1}/${runs} runs`);
  });
  const historyExp = await createExperiment(url, "b5-history");
  const historyRun = await createRun(url, historyExp, "history", T0);
  for (let b = 0; b * 1000 < history; b++) {
    const parts: string[] = [];
    for (let i = 0; i < 1000 && b * 1000 + i < history; i++) {
      const step = b * 1000 + i;
      parts.push(
        `{"key":"loss","value":${hash01(step, 99)},"timestamp":${T0 + step},"step":${step}}`,
      );
    }
    await api(url, "runs/log-batch", `{"run_id":"${historyRun}","metrics":[${parts.join(",")}]}`);
  }
  return { searchExp, historyRun, seconds: (performance.now() - t) / 1000 };
}

/** What one walk of a metric history did; `cut` when it stopped at the budget. */
export interface HistoryWalk {
  ms: number;
  pages: number;
  bytes: number;
  points: number;
  cut: boolean;
}

/**
 * Reads the whole `key` history of `runId` through metrics/get-history in pages of `page`, as
 * the client pages. `ms` sums request → last byte of each page; reading the page token (and
 * counting points, with `countPoints`) is not timed. Stops once `ms` exceeds `budgetMs`.
 */
export async function walkHistory(
  url: string,
  runId: string,
  key: string,
  opts: { page?: number; countPoints?: boolean; budgetMs?: number } = {},
): Promise<HistoryWalk> {
  const { page = 25_000, countPoints = false, budgetMs = Infinity } = opts;
  let token: string | undefined;
  let ms = 0, pages = 0, bytes = 0, points = 0;
  do {
    const q = new URLSearchParams({ run_id: runId, metric_key: key, max_results: String(page) });
    if (token) q.set("page_token", token);
    const t = performance.now();
    const res = await fetch(`${url}/api/2.0/mlflow/metrics/get-history?${q}`);
    const text = await res.text();
    ms += performance.now() - t;
    if (!res.ok) throw new Error(`get-history: ${res.status} ${text.slice(0, 200)}`);
    pages++;
    bytes += text.length;
    const m = /"next_page_token"\s*:\s*"([^"]+)"/.exec(text.slice(-1000)) ??
      /"next_page_token"\s*:\s*"([^"]+)"/.exec(text);
    token = m?.[1];
    if (countPoints) points += (JSON.parse(text).metrics ?? []).length;
    if (ms > budgetMs) return { ms, pages, bytes, points, cut: true };
  } while (token && pages < 100_000);
  return { ms, pages, bytes, points, cut: false };
}

// ---------------------------------------------------------------------------------------------
// Workload B3

/** FastTrackML's k6 logging iteration, for one virtual user: [kind, body, points]. */
export const B3_STEPS: [string, (run: string) => string, number][] = [
  ["log-metric", (run) => metricBody(run, 1, 1), 1],
  ["log-batch 40", (run) => metricBody(run, 10, 4), 40],
  ["log-batch 400", (run) => metricBody(run, 100, 4), 400],
  ["log-batch 1000", (run) => metricBody(run, 500, 2), 1000],
  ["params 10", (run) => paramBody(run, 10), 0],
  ["params 100", (run) => paramBody(run, 100), 0],
];

function metricBody(run: string, keys: number, steps: number): string {
  if (keys === 1) {
    return `{"run_id":"${run}","key":"single","value":0.5,"timestamp":${Date.now()},"step":0}`;
  }
  const parts: string[] = [];
  const now = Date.now();
  for (let k = 0; k < keys; k++) {
    for (let s = 0; s < steps; s++) {
      parts.push(
        `{"key":"b${keys}_${k}","value":${hash01(k, s)},"timestamp":${now + s},"step":${s}}`,
      );
    }
  }
  return `{"run_id":"${run}","metrics":[${parts.join(",")}]}`;
}

function paramBody(run: string, n: number): string {
  const parts = Array.from({ length: n }, (_, i) => `{"key":"p${n}_${i}","value":"v${i}"}`);
  return `{"run_id":"${run}","params":[${parts.join(",")}]}`;
}

/** What one B3 run did: latencies per request kind (ms) and counts. */
export interface B3Result {
  seconds: number;
  iterations: number;
  requests: number;
  errors: number;
  firstError: string;
  points: number;
  /** Latencies (ms) by request kind: "create run", the B3_STEPS kinds, "update run". */
  latencies: Map<string, number[]>;
}

/**
 * Runs B3 against the server at `url`: `vus` virtual users, each doing `iterations` iterations
 * (or fewer when `budgetMs` runs out) in a new experiment. Failed requests are counted, not thrown.
 */
export async function runB3(
  url: string,
  opts: { vus: number; iterations: number; budgetMs: number },
): Promise<B3Result> {
  const exp = await createExperiment(url, "b3");
  const lat = new Map<string, number[]>();
  const record = (k: string, ms: number) => {
    let a = lat.get(k);
    if (!a) lat.set(k, a = []);
    a.push(ms);
  };
  let errors = 0, firstError = "", points = 0, requests = 0, iterations = 0;
  const t = performance.now();
  const timed = async (k: string, path: string, body: string, n: number) => {
    try {
      record(k, (await timedPost(url, path, body)).ms);
      points += n;
    } catch (e) {
      errors++;
      firstError ||= (e as Error).message.slice(0, 100);
    }
    requests++;
  };
  await Promise.all(Array.from({ length: opts.vus }, async (_, vu) => {
    for (let it = 0; it < opts.iterations && performance.now() - t < opts.budgetMs; it++) {
      let run: string;
      const t1 = performance.now();
      try {
        run = await createRun(url, exp, `vu${vu}-${it}`);
        record("create run", performance.now() - t1);
        requests++;
      } catch (e) {
        errors++;
        requests++;
        firstError ||= (e as Error).message.slice(0, 100);
        continue;
      }
      for (const [k, body, n] of B3_STEPS) {
        await timed(k, k === "log-metric" ? "runs/log-metric" : "runs/log-batch", body(run), n);
      }
      await timed(
        "update run",
        "runs/update",
        JSON.stringify({ run_id: run, status: "FINISHED", end_time: Date.now() }),
        0,
      );
      iterations++;
    }
  }));
  return {
    seconds: (performance.now() - t) / 1000,
    iterations,
    requests,
    errors,
    firstError,
    points,
    latencies: lat,
  };
}
