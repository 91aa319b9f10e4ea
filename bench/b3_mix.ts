/**
 * Workload B3 of the REST benchmarks (bench/rest_bench.ts, bench/server_micro_bench.ts):
 * FastTrackML's k6 logging script run by concurrent virtual users. Each iteration creates a run,
 * then logs one metric, batches of 40, 400 and 1,000 points, 10 and 100 params, and finishes the
 * run: 8 requests, 1,441 points.
 */

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

/** POSTs `body`; returns the time to the last byte of the answer (ms), throws on a non-2xx. */
export async function timedPost(url: string, path: string, body: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${url}/api/2.0/mlflow/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const text = await res.text();
  const ms = performance.now() - t;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
  return ms;
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
      record(k, await timedPost(url, path, body));
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
