/**
 * Quick server-side measurements of `mlt server` from the working tree (or another checkout),
 * one workload at a time, for before/after comparisons while optimising:
 *
 *   deno run -A bench/server_micro_bench.ts seed --dir /tmp/mb [--runs 10000] [--history 1000000]
 *       writes <dir>/seed.db and <dir>/seed-mlruns through mlt's REST API (as rest_bench.ts does)
 *   deno run -A bench/server_micro_bench.ts history --store sqlite:////tmp/mb/seed.db [--page 25000]
 *       time to last byte of the whole history of the seeded run in pages (median of 3 walks)
 *   deno run -A bench/server_micro_bench.ts b1 --store sqlite:////tmp/x.db [--steps 100]
 *       the real Python client's per-call logging (bench/rest_client.py b1)
 *   deno run -A bench/server_micro_bench.ts start --store sqlite:////tmp/x.db [--starts 5]
 *       spawn → first 200 on /health (median) and VmRSS after startup and one /health
 *   deno run -A bench/server_micro_bench.ts search --store sqlite:////tmp/mb/seed.db [--calls 30]
 *       [--filter F] [--order O] [--max 100]
 *       rest_bench.ts's B4 runs/search over the seeded experiment: the first call after start,
 *       then the median (and min, p90) of --calls calls after 5 warm-up calls; --after-b3 first
 *       runs B3 against the same server (it writes into the store: use a copy)
 *   deno run -A bench/server_micro_bench.ts b3 [--vus 20] [--iterations 20] [--reps 1]
 *       [--from /tmp/mb/seed.db] [--src DIR1,DIR2]
 *       workload B3 of rest_bench.ts (bench/b3_mix.ts) against `mlt server` on a fresh SQLite
 *       database in --dir (a copy of --from when given): req/s, mean/p50/p95 of all requests, p95
 *       of the 1,000-point batch, peak VmRSS of the server (sampled every 100 ms), WAL size at the
 *       end. With several --src dirs and --reps, runs alternate between them (A B A B …) and a
 *       median line per src closes the output.
 *
 * `--server-args "…"` adds options to every `mlt server` started (e.g. "--workers 2").
 * `--src DIR` runs mlt from another checkout (e.g. a `git archive HEAD` copy) for the "before".
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { quantile, runB3 } from "./b3_mix.ts";

const REPO = new URL("..", import.meta.url).pathname;
const { positionals, values: opt } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    dir: { type: "string", default: "/tmp/mlt-micro" },
    store: { type: "string" },
    src: { type: "string", default: REPO },
    runs: { type: "string", default: "10000" },
    history: { type: "string", default: "1000000" },
    page: { type: "string", default: "25000" },
    steps: { type: "string", default: "100" },
    starts: { type: "string", default: "5" },
    walks: { type: "string", default: "3" },
    calls: { type: "string", default: "30" },
    filter: { type: "string", default: "metrics.acc > 0.9 and params.lr = '0.01'" },
    order: { type: "string", default: "metrics.acc DESC" },
    max: { type: "string", default: "100" },
    vus: { type: "string", default: "20" },
    iterations: { type: "string", default: "20" },
    reps: { type: "string", default: "1" },
    from: { type: "string" },
    "server-args": { type: "string", default: "" },
    "after-b3": { type: "boolean", default: false },
  },
});
const T0 = 1_700_000_000_000;
const PY = join(REPO, ".venv", "bin", "python");

interface Server {
  url: string;
  pid: number;
  child: Deno.ChildProcess;
  stop(): Promise<void>;
}

async function spawn(store: string, src = opt.src): Promise<Server & { firstLineMs: number }> {
  const t = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "server",
      "--port",
      "0",
      "--backend-store-uri",
      store,
      ...opt["server-args"].split(" ").filter(Boolean),
    ],
    cwd: src,
    stdout: "piped",
    stderr: "inherit",
    env: { MLFLOW_DISABLE_TELEMETRY: "true" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on (\S+)/.test(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`server exited: ${text}`);
    text += value;
  }
  const firstLineMs = performance.now() - t;
  void (async () => {
    while (!(await reader.read()).done);
  })();
  const url = /listening on (\S+)/.exec(text)![1];
  return {
    url,
    pid: child.pid,
    child,
    firstLineMs,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function api(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/api/2.0/mlflow/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const out = await res.json();
  if (!res.ok) throw new Error(`${path}: ${JSON.stringify(out)}`);
  return out;
}

function hash01(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13), 0x45d9f3b);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

async function seedOne(store: string): Promise<string> {
  const s = await spawn(store);
  try {
    const runs = Number(opt.runs), history = Number(opt.history);
    const exp = (await api(s.url, "experiments/create", { name: "b4-search" }))
      .experiment_id as string;
    let next = 0;
    await Promise.all([0, 1, 2, 3].map(async () => {
      while (next < runs) {
        const r = next++;
        const run = await api(s.url, "runs/create", {
          experiment_id: exp,
          run_name: `run-${r}`,
          start_time: T0 + r,
        });
        const runId = (run.run as { info: { run_id: string } }).info.run_id;
        await api(s.url, "runs/log-batch", {
          run_id: runId,
          params: [
            { key: "lr", value: ["0.001", "0.01", "0.1"][r % 3] },
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
      }
    }));
    const hexp = (await api(s.url, "experiments/create", { name: "b5-history" }))
      .experiment_id as string;
    const run = await api(s.url, "runs/create", { experiment_id: hexp, start_time: T0 });
    const runId = (run.run as { info: { run_id: string } }).info.run_id;
    for (let b = 0; b * 1000 < history; b++) {
      const parts: string[] = [];
      for (let i = 0; i < 1000 && b * 1000 + i < history; i++) {
        const step = b * 1000 + i;
        parts.push(
          `{"key":"loss","value":${hash01(step, 99)},"timestamp":${T0 + step},"step":${step}}`,
        );
      }
      await api(s.url, "runs/log-batch", `{"run_id":"${runId}","metrics":[${parts.join(",")}]}`);
    }
    return runId;
  } finally {
    await s.stop();
  }
}

async function seed(): Promise<void> {
  await Deno.mkdir(opt.dir, { recursive: true });
  const out: Record<string, string> = {};
  out[`sqlite:///${join(opt.dir, "seed.db")}`] = await seedOne(
    `sqlite:///${join(opt.dir, "seed.db")}`,
  );
  out[join(opt.dir, "seed-mlruns")] = await seedOne(join(opt.dir, "seed-mlruns"));
  await Deno.writeTextFile(join(opt.dir, "seed.json"), JSON.stringify(out, null, 2));
  console.log(JSON.stringify(out));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function history(): Promise<void> {
  const store = opt.store!;
  const seeds = JSON.parse(await Deno.readTextFile(join(opt.dir, "seed.json")));
  const runId = seeds[store] ??
    seeds[Object.keys(seeds).find((k) => store.endsWith(k.replace(/^sqlite:\/\//, "")))!];
  const s = await spawn(store);
  try {
    const walks: number[] = [];
    let pages = 0, bytes = 0;
    for (let w = 0; w < Number(opt.walks); w++) {
      let token: string | undefined, ms = 0;
      pages = 0, bytes = 0;
      do {
        const q = new URLSearchParams({ run_id: runId, metric_key: "loss", max_results: opt.page });
        if (token) q.set("page_token", token);
        const t = performance.now();
        const res = await fetch(`${s.url}/api/2.0/mlflow/metrics/get-history?${q}`);
        const text = await res.text();
        ms += performance.now() - t;
        if (!res.ok) throw new Error(text.slice(0, 300));
        pages++;
        bytes += text.length;
        token = /"next_page_token"\s*:\s*"([^"]+)"/.exec(text.slice(-1000))?.[1];
      } while (token);
      walks.push(ms);
    }
    console.log(JSON.stringify({
      store,
      median_ms: Math.round(median(walks)),
      walks: walks.map(Math.round),
      pages,
      mb: +(bytes / 1e6).toFixed(1),
    }));
  } finally {
    await s.stop();
  }
}

async function b1(): Promise<void> {
  const s = await spawn(opt.store!);
  try {
    const out = await new Deno.Command(PY, {
      args: [join(REPO, "bench", "rest_client.py"), "b1", s.url, opt.steps, "10", "60"],
      stdout: "piped",
    }).output();
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    console.log(JSON.stringify({
      store: opt.store,
      log_metric: +r.log_metric.ms_per_call.toFixed(3),
      log_batch: +r.log_batch.ms_per_call.toFixed(3),
      log_metric_async: +r.log_metric_async.ms_per_call.toFixed(3),
    }));
  } finally {
    await s.stop();
  }
}

async function start(): Promise<void> {
  const firsts: number[] = [], rss: number[] = [];
  for (let i = 0; i < Number(opt.starts); i++) {
    const t = performance.now();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "server", "--port", "0", "--backend-store-uri", opt.store!],
      cwd: opt.src,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    // The port is printed once listening; poll /health from then on as a client would.
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/listening on (\S+)/.test(text)) text += (await reader.read()).value ?? "";
    const url = /listening on (\S+)/.exec(text)![1];
    for (;;) {
      try {
        const res = await fetch(`${url}/health`);
        await res.body?.cancel();
        if (res.status === 200) break;
      } catch { /* not yet */ }
    }
    firsts.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 1000));
    await (await fetch(`${url}/health`)).text();
    const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
    rss.push(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
    child.kill("SIGTERM");
    await child.status;
    void reader.cancel();
  }
  console.log(JSON.stringify({
    store: opt.store,
    first_200_ms: Math.round(median(firsts)),
    firsts: firsts.map(Math.round),
    rss_mb: +median(rss).toFixed(1),
    rss: rss.map((x) => +x.toFixed(1)),
  }));
}

function statusMb(pid: number): { rss: number; anon: number; file: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (f: string) => Number(new RegExp(`^${f}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return {
    rss: kb("VmRSS") / 1024,
    anon: kb("RssAnon") / 1024,
    file: (kb("RssFile") + kb("RssShmem")) / 1024,
  };
}

function sizeMb(path: string): number {
  try {
    return Deno.statSync(path).size / 1e6;
  } catch {
    return 0;
  }
}

async function b3(): Promise<void> {
  const srcs = opt.src.split(",");
  const results = new Map<string, Record<string, number>[]>(srcs.map((s) => [s, []]));
  await Deno.mkdir(opt.dir, { recursive: true });
  for (let rep = 0; rep < Number(opt.reps); rep++) {
    for (const src of srcs) {
      const path = join(opt.dir, `b3-${rep}-${srcs.indexOf(src)}.db`);
      for (const p of [path, `${path}-wal`, `${path}-shm`]) await Deno.remove(p).catch(() => {});
      if (opt.from) await Deno.copyFile(opt.from, path);
      const s = await spawn(`sqlite:///${path}`, src);
      let peak = { rss: 0, anon: 0, file: 0 }, maxWal = 0, sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const m = statusMb(s.pid);
          if (m.rss > peak.rss) peak = m;
          maxWal = Math.max(maxWal, sizeMb(`${path}-wal`));
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      try {
        const r = await runB3(s.url, {
          vus: Number(opt.vus),
          iterations: Number(opt.iterations),
          budgetMs: 600_000,
        }).finally(() => sampling = false);
        await sampler;
        const all = [...r.latencies.values()].flat();
        const big = r.latencies.get("log-batch 1000") ?? [];
        const row = {
          req_s: +(r.requests / r.seconds).toFixed(1),
          mean: +(all.reduce((a, b) => a + b, 0) / all.length).toFixed(1),
          p50: +quantile(all, 0.5).toFixed(1),
          p95: +quantile(all, 0.95).toFixed(1),
          batch_p95: +quantile(big, 0.95).toFixed(1),
          peak_rss_mb: +peak.rss.toFixed(1),
          peak_anon_mb: +peak.anon.toFixed(1),
          peak_file_mb: +peak.file.toFixed(1),
          max_wal_mb: +maxWal.toFixed(1),
          end_wal_mb: +sizeMb(`${path}-wal`).toFixed(1),
          errors: r.errors,
        };
        results.get(src)!.push(row);
        console.log(JSON.stringify({ src, rep, ...row, firstError: r.firstError || undefined }));
      } finally {
        sampling = false;
        await s.stop();
      }
      for (const p of [path, `${path}-wal`, `${path}-shm`]) await Deno.remove(p).catch(() => {});
    }
  }
  for (const [src, rows] of results) {
    const med = Object.fromEntries(
      Object.keys(rows[0]).map((k) => [k, median(rows.map((r) => r[k]))]),
    );
    console.log(JSON.stringify({ src, median_of: rows.length, ...med }));
  }
}

async function search(): Promise<void> {
  const s = await spawn(opt.store!);
  try {
    const exp = await (await fetch(
      `${s.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=b4-search`,
    )).json();
    const body = JSON.stringify({
      experiment_ids: [exp.experiment.experiment_id],
      filter: opt.filter,
      order_by: opt.order ? [opt.order] : [],
      max_results: Number(opt.max),
      run_view_type: "ACTIVE_ONLY",
    });
    let runs = 0;
    const once = async () => {
      const t = performance.now();
      const res = await fetch(`${s.url}/api/2.0/mlflow/runs/search`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const text = await res.text();
      const ms = performance.now() - t;
      if (!res.ok) throw new Error(`runs/search: ${res.status} ${text.slice(0, 200)}`);
      runs = (JSON.parse(text).runs ?? []).length;
      return ms;
    };
    if (opt["after-b3"]) {
      // As in rest_bench.ts, where B4 follows B3 in the same server process.
      await runB3(s.url, { vus: 20, iterations: 20, budgetMs: 120_000 });
      await new Promise((r) => setTimeout(r, 2000));
    }
    const first = await once();
    for (let i = 0; i < 5; i++) await once();
    const samples: number[] = [];
    for (let i = 0; i < Number(opt.calls); i++) samples.push(await once());
    const sorted = [...samples].sort((a, b) => a - b);
    console.log(JSON.stringify({
      src: opt.src,
      runs,
      first_ms: +first.toFixed(1),
      median_ms: +median(samples).toFixed(2),
      min_ms: +sorted[0].toFixed(2),
      p90_ms: +sorted[Math.floor(sorted.length * 0.9)].toFixed(2),
    }));
  } finally {
    await s.stop();
  }
}

const commands: Record<string, () => Promise<void>> = { seed, history, b1, start, b3, search };
const cmd = commands[positionals[0]];
if (!cmd) {
  console.error(
    "usage: server_micro_bench.ts seed|history|b1|start|b3|search [options] (see the header)",
  );
  Deno.exit(2);
}
await cmd();
