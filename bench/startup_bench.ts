/**
 * Start-up and memory of the server against Deno's own floor, in one run (rest_bench.ts's B8 and
 * B9, without its seeding, so that a change can be measured in minutes):
 *
 *   B8  spawn → first 200 on /health (on an existing SQLite database, polled as a client would),
 *       and the CPU time the server had spent by then (all threads; far less sensitive to the
 *       load of a shared machine than wall time);
 *   B9  RSS of the server's process idle (3 s after the first 200) and at its peak under B3
 *       (rest_common.ts's 20 concurrent writers), with B3's requests/s and the server's CPU time
 *       per request (the figure to compare on a loaded machine).
 *
 * Subjects, one process at a time, alternating round by round (A B C A B C …) so that the load of
 * a shared machine spreads over all of them: `mlt` (`mlt server` from --src, as its installed
 * command runs: the bundle and Deno flags of deno.json's install task), `mlt-w2` (the same with `--workers 2`),
 * `before` (`mlt server` from the checkout --before, e.g. a `git archive` of main), `floor` (an
 * empty `Deno.serve` answering 200, started the same way: the least any Deno server costs),
 * `floor-hono` (the same routed by Hono with mlt's deno.json: npm resolution and node_modules),
 * `floor-sqlite` (that Hono app opening its SQLite database with node:sqlite before it listens),
 * `mlflow` and `fml` (FastTrackML).
 *
 *   deno run -A bench/startup_bench.ts [--subjects mlt,floor,fml] [--rounds 3] [--starts 5]
 *     [--vus 20] [--iterations 20] [--no-b3] [--src DIR] [--before DIR]
 *     [--server-args "--workers 2"] [--deno-args "--v8-flags=…"] [--mlflow .venv/bin/mlflow]
 *     [--fml .venv-fml/bin/fml] [--json out.json]
 *
 * Prints one JSON line per subject and round, then the median and min–max per subject; `--json`
 * writes all of it (with the command, machine, versions and date) for bench/report.ts.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { quantile, runB3, summarize } from "./rest_common.ts";
import { benchContext, installedMlt, mltV8Flags } from "./bench_context.ts";
import { cpuMs, peakSampler, treeRssMb } from "./proc_stats.ts";

const REPO = new URL("..", import.meta.url).pathname;
const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    subjects: { type: "string", default: "mlt,floor" },
    rounds: { type: "string", default: "3" },
    starts: { type: "string", default: "5" },
    vus: { type: "string", default: "20" },
    iterations: { type: "string", default: "20" },
    "no-b3": { type: "boolean", default: false },
    src: { type: "string", default: REPO },
    "server-args": { type: "string", default: "" },
    before: { type: "string" },
    "deno-args": { type: "string", default: "" },
    mlflow: { type: "string", default: join(REPO, ".venv", "bin", "mlflow") },
    fml: { type: "string", default: join(REPO, ".venv-fml", "bin", "fml") },
    json: { type: "string" },
  },
});
const HOST = "127.0.0.1";
const FLOOR = new URL("./floor_server.ts", import.meta.url).pathname;
const FLOOR_HONO = new URL("./floor_hono_server.ts", import.meta.url).pathname;

function freePort(): number {
  const l = Deno.listen({ hostname: HOST, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const words = (s: string) => s.split(" ").filter(Boolean);

// What each checkout's `deno task install` installs (a bundle is built once, before any start).
const INSTALLED = {
  mlt: await installedMlt(opt.src),
  before: opt.before ? await installedMlt(opt.before) : undefined,
};

function command(subject: string, db: string, port: number): string[] {
  const mlt = ["server", "--host", HOST, "--port", String(port), "--backend-store-uri"];
  switch (subject) {
    case "mlt":
    case "mlt-w2":
    case "before":
      return [
        Deno.execPath(),
        "run",
        "-A",
        // Each checkout runs as its installed command does (its install task): V8 flags,
        // unstable features, and the bundle it installs (or its main.ts).
        ...mltV8Flags(subject === "before" ? opt.before! : opt.src),
        ...INSTALLED[subject === "before" ? "before" : "mlt"]!.deno,
        ...words(opt["deno-args"]),
        INSTALLED[subject === "before" ? "before" : "mlt"]!.main,
        ...mlt,
        `sqlite:///${db}`,
        ...words(opt["server-args"]),
        ...(subject === "mlt-w2" ? ["--workers", "2"] : []),
      ];
    case "floor":
    case "floor-hono":
    case "floor-sqlite":
      return [
        Deno.execPath(),
        "run",
        "-A",
        // The Hono floor resolves its npm package through mlt's deno.json, as mlt does.
        ...(subject === "floor" ? [] : ["--config", join(opt.src, "deno.json")]),
        ...words(opt["deno-args"]),
        subject === "floor" ? FLOOR : FLOOR_HONO,
        String(port),
        ...(subject === "floor-sqlite" ? [db] : []),
      ];
    case "mlflow":
      return [opt.mlflow, ...mlt, `sqlite:///${db}`];
    case "fml":
      return [
        opt.fml,
        "server",
        "--listen-address",
        `${HOST}:${port}`,
        "--database-uri",
        `sqlite://${db}`,
      ];
  }
  throw new Error(`unknown subject ${subject}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Started {
  child: Deno.ChildProcess;
  url: string;
  ms: number;
  /** CPU time of the process tree's threads when it first answered 200 (less load-sensitive). */
  cpuMs: number;
}

async function start(subject: string, dir: string): Promise<Started> {
  const db = join(dir, `${subject}.db`);
  const port = freePort();
  const cmd = command(subject, db, port);
  const url = `http://${HOST}:${port}`;
  const t = performance.now();
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env: { MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true" },
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  for (;;) {
    if (exited) throw new Error(`${subject} exited before answering /health`);
    try {
      const res = await fetch(`${url}/health`);
      await res.body?.cancel();
      if (res.status === 200) {
        return { child, url, ms: performance.now() - t, cpuMs: cpuMs(child.pid) };
      }
    } catch { /* not listening yet */ }
    await sleep(1);
  }
}

async function stop(s: Started): Promise<void> {
  try {
    s.child.kill("SIGTERM");
  } catch { /* already gone */ }
  const timer = setTimeout(() => {
    try {
      s.child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 10_000);
  await s.child.status;
  clearTimeout(timer);
}

/** One round of one subject: B8 over --starts spawns, then B9 idle and B3 on the last one. */
async function round(subject: string, dir: string): Promise<Record<string, number>> {
  const starts: number[] = [], cpu: number[] = [];
  let last: Started | undefined;
  // A fresh database, created by one start that is not counted (as rest_bench.ts's B8 starts on
  // an existing store); it also warms Deno's code cache.
  for (const ext of ["", "-wal", "-shm"]) {
    await Deno.remove(join(dir, `${subject}.db${ext}`)).catch(() => {});
  }
  await stop(await start(subject, dir));
  for (let i = 0; i < Number(opt.starts); i++) {
    const s = await start(subject, dir);
    starts.push(s.ms);
    cpu.push(s.cpuMs);
    if (i < Number(opt.starts) - 1) await stop(s);
    else last = s;
  }
  const s = last!;
  try {
    await sleep(3000);
    const out: Record<string, number> = {
      b8_ms: +quantile(starts, 0.5).toFixed(1),
      b8_cpu_ms: +quantile(cpu, 0.5).toFixed(1),
    };
    const idle = treeRssMb(s.child.pid);
    out.idle_rss_mb = +idle.rss.toFixed(1);
    out.idle_anon_mb = +idle.anon.toFixed(1);
    if (!opt["no-b3"] && !subject.startsWith("floor")) {
      const sampler = peakSampler(s.child.pid);
      const cpu0 = cpuMs(s.child.pid);
      let peak = { rss: 0, anon: 0 };
      const r = await runB3(s.url, {
        vus: Number(opt.vus),
        iterations: Number(opt.iterations),
        budgetMs: 300_000,
      }).finally(async () => peak = await sampler.stop());
      const cpuPerReq = (cpuMs(s.child.pid) - cpu0) / r.requests;
      const all = [...r.latencies.values()].flat();
      Object.assign(out, {
        b3_req_s: +(r.requests / r.seconds).toFixed(1),
        b3_cpu_ms_per_req: +cpuPerReq.toFixed(2),
        b3_p50_ms: +quantile(all, 0.5).toFixed(1),
        b3_p95_ms: +quantile(all, 0.95).toFixed(1),
        b3_peak_rss_mb: +peak.rss.toFixed(1),
        b3_peak_anon_mb: +peak.anon.toFixed(1),
        b3_errors: r.errors,
      });
    }
    return out;
  } finally {
    await stop(s);
  }
}

const subjects = opt.subjects.split(",").map((s) => s.trim()).filter(Boolean);
const dir = await Deno.makeTempDir({ prefix: "mlt-startup-bench-" });
const ctx = await benchContext(`deno run -A bench/startup_bench.ts ${Deno.args.join(" ")}`, {
  mlflow: subjects.includes("mlflow") ? [opt.mlflow, "--version"] : undefined,
  fml: subjects.includes("fml") ? [opt.fml, "--version"] : undefined,
  src: ["git", "-C", opt.src, "describe", "--always", "--dirty"],
  // A `git archive` copy has no .git: name it by hand in the JSON, or pass a worktree.
  before: opt.before ? ["git", "-C", opt.before, "describe", "--always", "--dirty"] : undefined,
});
const rounds: Record<string, Record<string, number>[]> = {};
try {
  for (let r = 0; r < Number(opt.rounds); r++) {
    for (const subject of subjects) {
      const row = await round(subject, dir);
      (rounds[subject] ??= []).push(row);
      console.log(JSON.stringify({ subject, round: r, ...row }));
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
const summary = summarize(rounds);
for (const [subject, rows] of Object.entries(rounds)) {
  console.log(JSON.stringify({ subject, median_of: rows.length, ...summary[subject] }));
}
if (opt.json) {
  await Deno.writeTextFile(
    opt.json,
    JSON.stringify({ bench: "startup", ...ctx.finish(), rounds, summary }, null, 1) + "\n",
  );
}
