/**
 * Hostile-load check of `mlt server` (issue 13): a fresh server per store (file store, SQLite)
 * on loopback, then one attack at a time, each bounded in count and time:
 *   flood    --flood idle TCP connections (default 20,000, opened by two child processes within
 *            30 s, then all held open 5 s)
 *   trickle  200 POST bodies sent one byte at a time (100 bytes each, 10 ms apart), then dropped
 *   history  8 s of get-history-bulk-interval / get-history-bulk naming one 1M-point run 100 times
 *            and get-history without max_results, 4 at a time
 *   live     8 s of 10 live-status streams of 1,000 unknown run ids, reconnecting every 0.5 s
 * A 5 s "baseline" row probes the idle server first (the shared machine's own noise). Prints,
 * per attack: the server's RSS before, at its peak, and once back within 50 MB of idle (or 40 s
 * after the attack), with how long that took; /health latency (p50/p99/max, failures) from a
 * probe every 25 ms on a fresh connection; and whether the server is still alive. Targets: alive, /health p99 < 100 ms, peak RSS < 300 MB, RSS after within 50 MB
 * of idle.
 *
 *   deno run -A bench/stress.ts [--stores file,sqlite] [--flood 20000] [--points 1000000]
 *       [--only flood,trickle,history,live] [--src DIR] [--server-args "…"]
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { api, quantile } from "./rest_common.ts";
import { type SpawnedServer, spawnServer } from "./spawn_server.ts";

const REPO = new URL("..", import.meta.url).pathname;
const { positionals, values: opt } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    stores: { type: "string", default: "file,sqlite" },
    flood: { type: "string", default: "20000" },
    points: { type: "string", default: "1000000" },
    only: { type: "string", default: "flood,trickle,history,live" },
    src: { type: "string", default: REPO },
    "server-args": { type: "string", default: "" },
    // the flood child: --url, --n, --hold
    url: { type: "string" },
    n: { type: "string" },
    hold: { type: "string" },
  },
});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const ATTACK_MS = 8_000;

type Server = SpawnedServer;
const startServer = (store: string) => spawnServer(store, opt.src, opt["server-args"]);

// VmRSS (or one of its parts, e.g. RssAnon: without the SQLite file pages the reader maps) in MB.
function rssMb(pid: number, field = "VmRSS"): number {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(s)![1]) / 1024;
  } catch {
    return NaN;
  }
}

// /health on a fresh connection every 25 ms for `ms`, from a process of its own (so the
// attackers' work in this one does not count as the server's latency); prints JSON.
async function probeChild(): Promise<void> {
  const ms: number[] = [];
  let failed = 0;
  // Probes until the parent closes our stdin (the attack is over), at most 5 minutes.
  let done = false;
  const stdin = (async () => {
    for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
    done = true;
  })();
  const end = Date.now() + 300_000;
  while (!done && Date.now() < end) {
    const client = Deno.createHttpClient({});
    const t0 = performance.now();
    try {
      const res = await fetch(`${opt.url}/health`, { client, signal: AbortSignal.timeout(5000) });
      await res.body?.cancel();
      if (res.status === 200) ms.push(performance.now() - t0);
      else failed++;
    } catch {
      failed++;
    } finally {
      client.close();
    }
    await sleep(25);
  }
  console.log(JSON.stringify({ ms, failed }));
  await stdin;
}

// The probe child; `stop()` ends it and resolves with its latencies.
function probe(url: string): { stop: () => Promise<{ ms: number[]; failed: number }> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "probe-child", "--url", url],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = child.output();
  return {
    stop: async () => {
      await child.stdin.close();
      return JSON.parse(new TextDecoder().decode((await out).stdout));
    },
  };
}

// Runs `fn` until `ms` passed (it checks `more()`), sampling the server's RSS every 100 ms.
async function attack(
  s: Server,
  name: string,
  idle: number,
  fn: (more: () => boolean) => Promise<void>,
): Promise<void> {
  const before = rssMb(s.pid);
  let peak = before;
  let peakAnon = rssMb(s.pid, "RssAnon");
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(s.pid) || 0);
    peakAnon = Math.max(peakAnon, rssMb(s.pid, "RssAnon") || 0);
  }, 100);
  const p = probe(s.url);
  await sleep(300); // the probe's start-up
  const end = Date.now() + ATTACK_MS;
  const t0 = performance.now();
  try {
    await fn(() => Date.now() < end && s.alive());
  } catch (e) {
    console.log(`  ${name}: the attack itself failed: ${(e as Error).message}`);
  }
  const took = (performance.now() - t0) / 1000;
  await sleep(1000); // requests still in flight when the attack stopped
  const { ms, failed } = await p.stop();
  clearInterval(sampler);
  // V8 gives memory back when its heap has been idle a while (~20 s here): wait up to 40 s.
  const settleStart = Date.now();
  let after = rssMb(s.pid);
  while (after - idle >= 50 && Date.now() - settleStart < 40_000 && s.alive()) {
    await sleep(1000);
    after = rssMb(s.pid);
  }
  const settled = (Date.now() - settleStart) / 1000;
  const f = (x: number) => Number.isFinite(x) ? x.toFixed(0) : "-";
  const p99 = ms.length ? quantile(ms, 0.99) : NaN;
  const ok = s.alive() && p99 < 100 && peak < 300 && after - idle < 50 && failed === 0;
  console.log(
    `  ${name.padEnd(8)} ${took.toFixed(1).padStart(5)} s | RSS MB before ${f(before)} peak ` +
      `${f(peak)} (anon ${f(peakAnon)}) after ${f(after)} at +${settled.toFixed(0)} s ` +
      `(idle ${f(idle)}) | ` +
      `/health n=${ms.length} p50 ` +
      `${ms.length ? quantile(ms, 0.5).toFixed(1) : "-"} p99 ${p99.toFixed(1)} max ` +
      `${ms.length ? Math.max(...ms).toFixed(1) : "-"} ms, failed ${failed} | ` +
      `${s.alive() ? "alive" : "EXITED"} ${ok ? "ok" : "MISSED TARGET"}`,
  );
}

function hostPort(url: string): { hostname: string; port: number } {
  const u = new URL(url);
  return { hostname: u.hostname, port: Number(u.port) };
}

async function flood(s: Server): Promise<void> {
  const total = Number(opt.flood);
  const kids = [0, 1].map(() =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "flood-child",
        "--url",
        s.url,
        "--n",
        String(Math.ceil(total / 2)),
        "--hold",
        "5000",
      ],
      stdout: "inherit",
      stderr: "inherit",
    }).spawn()
  );
  await Promise.all(kids.map((k) => k.status));
}

// The flood's child: opens --n connections as fast as it can, holds them --hold ms, exits.
async function floodChild(): Promise<void> {
  const addr = hostPort(opt.url!);
  const conns: Deno.Conn[] = [];
  const connectBy = Date.now() + 30_000;
  let refused = 0;
  for (let i = 0; i < Number(opt.n) && Date.now() < connectBy; i++) {
    try {
      conns.push(await Deno.connect(addr));
    } catch {
      refused++;
    }
  }
  console.log(`  (flood child: ${conns.length} connected, ${refused} refused)`);
  await sleep(Number(opt.hold)); // all of them open at once

  for (const c of conns) {
    try {
      c.close();
    } catch {
      // closed by the server
    }
  }
}

async function trickle(s: Server, runId: string): Promise<void> {
  const enc = new TextEncoder();
  const head = "POST /api/2.0/mlflow/runs/log-metric HTTP/1.1\r\nHost: localhost\r\n" +
    "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
  const conns = await Promise.all(Array.from({ length: 200 }, () => Deno.connect(hostPort(s.url))));
  await Promise.all(conns.map((c) => c.write(enc.encode(head)).catch(() => 0)));
  const body = JSON.stringify({ run_id: runId, key: "x", value: 1, timestamp: 1, step: 0 });
  for (let b = 0; b < 100; b++) {
    await Promise.all(conns.map((c) => c.write(enc.encode(body[b % body.length])).catch(() => 0)));
    await sleep(10);
  }
  for (const c of conns) c.close();
}

async function history(s: Server, runId: string, more: () => boolean): Promise<void> {
  const ids = (name: string) => Array(100).fill(runId).map((r) => `${name}=${r}`).join("&");
  const paths = [
    `/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?${ids("run_ids")}&metric_key=m`,
    `/ajax-api/2.0/mlflow/metrics/get-history-bulk?${ids("run_id")}&metric_key=m`,
    `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=m`,
  ];
  let i = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (more()) {
      const res = await fetch(s.url + paths[i++ % paths.length]);
      await res.body?.cancel();
    }
  }));
}

async function live(s: Server, more: () => boolean): Promise<void> {
  const unknown = Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(32, "f"));
  const src = `${s.url}/_mlt/live/statuses?runs=${unknown.join(",")}`;
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (more()) {
      const ctl = new AbortController();
      try {
        const res = await fetch(src, { signal: ctl.signal });
        await sleep(500);
        ctl.abort();
        await res.body?.cancel().catch(() => {});
      } catch {
        // aborted
      }
    }
  }));
}

// A run with `n` points of metric "m": logged once through the API, the rest written straight
// into the store (the FileStore's metric file, or SQLite's metrics table) to save time.
async function seedRun(kind: string, dir: string, url: string, n: number): Promise<string> {
  const { experiment_id } = await api(url, "experiments/create", { name: "stress" });
  const { run } = await api(url, "runs/create", { experiment_id, start_time: 1 }) as {
    run: { info: { run_id: string } };
  };
  const runId = run.info.run_id;
  await api(url, "runs/log-metric", { run_id: runId, key: "m", value: 0, timestamp: 1, step: 0 });
  if (kind === "file") {
    const lines: string[] = [];
    for (let i = 1; i < n; i++) lines.push(`${1 + i} ${Math.sin(i)} ${i}\n`);
    await Deno.writeTextFile(
      join(dir, "mlruns", String(experiment_id), runId, "metrics", "m"),
      lines.join(""),
      { append: true },
    );
  } else {
    const db = new DatabaseSync(join(dir, "stress.db"));
    db.exec("PRAGMA busy_timeout = 20000; BEGIN IMMEDIATE");
    const ins = db.prepare(
      "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ('m', ?, ?, ?, ?, 0)",
    );
    for (let i = 1; i < n; i++) ins.run(Math.sin(i), 1 + i, runId, i);
    db.exec("COMMIT");
    db.close();
  }
  return runId;
}

async function main(): Promise<void> {
  const only = new Set(opt.only.split(","));
  console.log(`mlt server stress, ${new Date().toISOString()}, deno ${Deno.version.deno}`);
  for (const kind of opt.stores.split(",")) {
    const dir = await Deno.makeTempDir({ prefix: "mlt-stress-" });
    const store = kind === "file" ? join(dir, "mlruns") : `sqlite:///${join(dir, "stress.db")}`;
    const s = await startServer(store);
    try {
      const runId = await seedRun(kind, dir, s.url, Number(opt.points));
      // Warm-up: the API, the UI modules (loaded on first use) and one history page.
      for (const p of ["/health", "/", `/api/2.0/mlflow/runs/get?run_id=${runId}`]) {
        await (await fetch(s.url + p)).body?.cancel();
      }
      await sleep(1000);
      const idle = rssMb(s.pid);
      console.log(`${kind} store (${opt.points} points), idle RSS ${idle.toFixed(0)} MB`);
      // The same probe with no attack: what the shared machine alone costs /health right now.
      await attack(s, "baseline", idle, () => sleep(5000));
      if (only.has("flood")) await attack(s, "flood", idle, () => flood(s));
      if (only.has("trickle")) await attack(s, "trickle", idle, () => trickle(s, runId));
      if (only.has("history")) await attack(s, "history", idle, (m) => history(s, runId, m));
      if (only.has("live")) await attack(s, "live", idle, (more) => live(s, more));
    } finally {
      const alive = s.alive();
      const code = await s.stop();
      console.log(`  server ${alive ? "alive to the end" : "HAD EXITED"}; exit code ${code}`);
      await Deno.remove(dir, { recursive: true });
    }
  }
}

if (positionals[0] === "flood-child") await floodChild();
else if (positionals[0] === "probe-child") await probeChild();
else await main();
