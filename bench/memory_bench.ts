/**
 * Memory against CPU of `mlt server` (SQLite store) under one setting or another, in one run: for
 * each subject, alternating round by round (A B C A B C …),
 *
 *   history  the server's CPU time per walk of a 200,000-point metric history through
 *            metrics/get-history in pages of 25,000 (median of --walks walks after one warm-up), and
 *            the peak RSS of the server during the walks;
 *   B3       rest_common.ts's 20 concurrent writers on a fresh database: requests/s, the server's
 *            CPU time per request, and its peak RSS (and the anonymous part of it).
 *
 *   deno run -A bench/memory_bench.ts [--rounds 3] [--iterations 5] [--history 200000]
 *     [--walks 3] [--no-b3] [--try 'label|v8 flags|ENV=V,ENV2=V'] … [--src DIR] [--before DIR]
 *     [--json out.json]
 *
 * Each `--try` is a subject: mlt from --src with the given V8 flags (comma-separated, as
 * `--v8-flags=` takes them; empty = none) and environment variables (e.g. MALLOC_ARENA_MAX=2).
 * Without --try the subjects are `mlt` (with deno.json's install flags) and, with --before, `before`
 * (another checkout, with its own install flags).
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { quantile, runB3, seed, summarize, walkHistory } from "./rest_common.ts";
import { benchContext, mltV8Flags } from "./bench_context.ts";
import { cpuMs, peakSampler } from "./proc_stats.ts";
import { spawnServer } from "./spawn_server.ts";

const REPO = new URL("..", import.meta.url).pathname;
const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    iterations: { type: "string", default: "5" },
    history: { type: "string", default: "200000" },
    try: { type: "string", multiple: true, default: [] },
    src: { type: "string", default: REPO },
    before: { type: "string" },
    walks: { type: "string", default: "3" },
    "no-b3": { type: "boolean", default: false },
    json: { type: "string" },
  },
});

interface Subject {
  label: string;
  src: string;
  v8: string[];
  env: Record<string, string>;
}

function subjects(): Subject[] {
  const out: Subject[] = opt.try.map((t) => {
    const [label, flags = "", env = ""] = t.split("|");
    return {
      label,
      src: opt.src,
      v8: flags ? [`--v8-flags=${flags}`] : [],
      env: Object.fromEntries(env.split(",").filter(Boolean).map((kv) => kv.split("=", 2))),
    };
  });
  if (out.length === 0) out.push({ label: "mlt", src: opt.src, v8: mltV8Flags(opt.src), env: {} });
  if (opt.before) {
    out.push({ label: "before", src: opt.before, v8: mltV8Flags(opt.before), env: {} });
  }
  return out;
}

// The subject's server on a SQLite database, its stderr dropped.
const start = (s: Subject, db: string) =>
  spawnServer(`sqlite:///${db}`, s.src, "", { v8: s.v8, env: s.env, stderr: "null" });

async function removeDb(db: string): Promise<void> {
  for (const ext of ["", "-wal", "-shm"]) await Deno.remove(db + ext).catch(() => {});
}

async function historyRound(s: Subject, db: string, runId: string) {
  const server = await start(s, db);
  try {
    await walkHistory(server.url, runId, "loss");
    const sampler = peakSampler(server.pid);
    const cpu: number[] = [];
    for (let i = 0; i < Number(opt.walks); i++) {
      const c0 = cpuMs(server.pid);
      await walkHistory(server.url, runId, "loss");
      cpu.push(cpuMs(server.pid) - c0);
    }
    const peak = await sampler.stop();
    return {
      history_cpu_ms: +quantile(cpu, 0.5).toFixed(0),
      history_peak_rss_mb: +peak.rss.toFixed(1),
    };
  } finally {
    await server.stop();
  }
}

async function b3Round(s: Subject, db: string) {
  await removeDb(db);
  const server = await start(s, db);
  try {
    const sampler = peakSampler(server.pid);
    const c0 = cpuMs(server.pid);
    let peak = { rss: 0, anon: 0 };
    let r;
    try {
      r = await runB3(server.url, {
        vus: 20,
        iterations: Number(opt.iterations),
        budgetMs: 300_000,
      });
    } finally {
      peak = await sampler.stop();
    }
    return {
      b3_req_s: +(r.requests / r.seconds).toFixed(1),
      b3_cpu_ms_per_req: +((cpuMs(server.pid) - c0) / r.requests).toFixed(2),
      b3_peak_rss_mb: +peak.rss.toFixed(1),
      b3_peak_anon_mb: +peak.anon.toFixed(1),
      b3_errors: r.errors,
    };
  } finally {
    await server.stop();
  }
}

const list = subjects();
const dir = await Deno.makeTempDir({ prefix: "mlt-memory-bench-" });
const ctx = await benchContext(`deno run -A bench/memory_bench.ts ${Deno.args.join(" ")}`, {
  src: ["git", "-C", opt.src, "describe", "--always", "--dirty"],
});
const rounds: Record<string, Record<string, number>[]> = {};
try {
  // The history to walk, written once by the first subject.
  const histDb = join(dir, "history.db");
  const seeder = await start(list[0], histDb);
  const { historyRun } = await seed(seeder.url, 1, Number(opt.history)).finally(() =>
    seeder.stop()
  );
  for (let r = 0; r < Number(opt.rounds); r++) {
    for (const s of list) {
      const row = {
        ...await historyRound(s, histDb, historyRun),
        ...(opt["no-b3"] ? {} : await b3Round(s, join(dir, "b3.db"))),
      };
      (rounds[s.label] ??= []).push(row);
      console.log(JSON.stringify({ subject: s.label, round: r, ...row }));
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
const summary = summarize(rounds);
for (const label of Object.keys(rounds)) {
  const m = (k: string) => summary[label][k]?.median;
  console.log(
    `${label.padEnd(24)} B3 peak ${m("b3_peak_rss_mb")} MB (anon ${m("b3_peak_anon_mb")}), ` +
      `${m("b3_req_s")} req/s, ${m("b3_cpu_ms_per_req")} ms CPU/req; history ` +
      `${m("history_cpu_ms")} ms CPU/walk, peak ${m("history_peak_rss_mb")} MB`,
  );
}
if (opt.json) {
  await Deno.writeTextFile(
    opt.json,
    JSON.stringify({ bench: "memory", ...ctx.finish(), rounds, summary }, null, 1) + "\n",
  );
}
