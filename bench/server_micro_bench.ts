/**
 * Quick server-side measurements of `mlt server` from the working tree (or another checkout),
 * one workload at a time, for before/after comparisons while optimising:
 *
 *   deno run -A bench/server_micro_bench.ts seed --dir /tmp/mb [--runs 10000] [--history 1000000]
 *       writes <dir>/seed.db and <dir>/seed-mlruns through mlt's REST API (rest_bench.ts's seed)
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
 *       workload B3 of rest_bench.ts (bench/rest_common.ts) against `mlt server` on a fresh SQLite
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
import { api, quantile, runB3, seed as seedData, timedPost, walkHistory } from "./rest_common.ts";
import { spawnServer } from "./spawn_server.ts";

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
const PY = join(REPO, ".venv", "bin", "python");

const spawn = (store: string, src = opt.src) => spawnServer(store, src, opt["server-args"]);

async function seedOne(store: string): Promise<string> {
  const s = await spawn(store);
  try {
    return (await seedData(s.url, Number(opt.runs), Number(opt.history))).historyRun;
  } finally {
    await s.stop();
  }
}

async function seed(): Promise<void> {
  await Deno.mkdir(opt.dir, { recursive: true });
  const out: Record<string, string> = {};
  for (const store of [`sqlite:///${join(opt.dir, "seed.db")}`, join(opt.dir, "seed-mlruns")]) {
    out[store] = await seedOne(store);
  }
  await Deno.writeTextFile(join(opt.dir, "seed.json"), JSON.stringify(out, null, 2));
  console.log(JSON.stringify(out));
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
      const walk = await walkHistory(s.url, runId, "loss", { page: Number(opt.page) });
      ({ pages, bytes } = walk);
      walks.push(walk.ms);
    }
    console.log(JSON.stringify({
      store,
      median_ms: Math.round(quantile(walks, 0.5)),
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
    // The port is printed once listening; poll /health from then on as a client would.
    const s = await spawn(opt.store!);
    try {
      for (;;) {
        try {
          const res = await fetch(`${s.url}/health`);
          await res.body?.cancel();
          if (res.status === 200) break;
        } catch { /* not yet */ }
      }
      firsts.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 1000));
      await (await fetch(`${s.url}/health`)).text();
      rss.push(statusMb(s.pid).rss);
    } finally {
      await s.stop();
    }
  }
  console.log(JSON.stringify({
    store: opt.store,
    first_200_ms: Math.round(quantile(firsts, 0.5)),
    firsts: firsts.map(Math.round),
    rss_mb: +quantile(rss, 0.5).toFixed(1),
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
      Object.keys(rows[0]).map((k) => [k, quantile(rows.map((r) => r[k]), 0.5)]),
    );
    console.log(JSON.stringify({ src, median_of: rows.length, ...med }));
  }
}

async function search(): Promise<void> {
  const s = await spawn(opt.store!);
  try {
    // The seed's experiment is named "b4-search-<uuid>" (plain "b4-search" in older seeds).
    const { experiments } = await api(s.url, "experiments/search", {
      filter: "name LIKE 'b4-search%'",
      max_results: 1,
    }) as { experiments?: { experiment_id: string }[] };
    if (!experiments?.length) throw new Error(`no b4-search experiment in ${opt.store}`);
    const body = JSON.stringify({
      experiment_ids: [experiments[0].experiment_id],
      filter: opt.filter,
      order_by: opt.order ? [opt.order] : [],
      max_results: Number(opt.max),
      run_view_type: "ACTIVE_ONLY",
    });
    let runs = 0;
    const once = async () => {
      const { ms, text } = await timedPost(s.url, "runs/search", body);
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
    console.log(JSON.stringify({
      src: opt.src,
      runs,
      first_ms: +first.toFixed(1),
      median_ms: +quantile(samples, 0.5).toFixed(2),
      min_ms: +Math.min(...samples).toFixed(2),
      p90_ms: +quantile(samples, 0.9).toFixed(2),
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
