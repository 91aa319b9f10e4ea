/**
 * System metrics of the entry point while it runs, which MLflow's runner lacks: CPU % and RSS of
 * the child's whole session (read from /proc) and, when `nvidia-smi` exists, GPU use, logged under
 * MLflow's `system/…` names. Linux only; elsewhere it does nothing.
 */
import type { Metric } from "../model.ts";

/** Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on every Linux ABI). */
const CLK_TCK = 100;

/** CPU ticks and RSS of one process, from /proc/<pid>/stat and /proc/<pid>/status. */
export interface ProcInfo {
  session: number;
  ticks: number;
}

/** Parses /proc/<pid>/stat: the session id and utime + stime. */
export function parseProcStat(text: string): ProcInfo | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(" ");
  // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  const session = Number(f[3]);
  const ticks = Number(f[11]) + Number(f[12]);
  return Number.isFinite(session) && Number.isFinite(ticks) ? { session, ticks } : undefined;
}

/** The VmRSS of /proc/<pid>/status in kB (0 for kernel threads and zombies). */
export function parseVmRssKb(text: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Parses `nvidia-smi --query-gpu=utilization.gpu,memory.used,memory.total` CSV into metrics. */
export function gpuMetrics(csv: string, timestamp: number, step: number): Metric[] {
  const out: Metric[] = [];
  csv.trim().split("\n").forEach((line, i) => {
    const [util, used, total] = line.split(",").map((s) => Number(s.trim()));
    if (![util, used, total].every(Number.isFinite)) return;
    const m = (key: string, value: number) => out.push({ key, value, timestamp, step });
    m(`system/gpu_${i}_utilization_percentage`, util);
    m(`system/gpu_${i}_memory_usage_megabytes`, used);
    if (total > 0) m(`system/gpu_${i}_memory_usage_percentage`, (100 * used) / total);
  });
  return out;
}

async function sampleSession(sid: number): Promise<{ ticks: number; rssKb: number; n: number }> {
  let ticks = 0, rssKb = 0, n = 0;
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const info = parseProcStat(await Deno.readTextFile(`/proc/${e.name}/stat`));
      if (info?.session !== sid) continue;
      ticks += info.ticks;
      rssKb += parseVmRssKb(await Deno.readTextFile(`/proc/${e.name}/status`));
      n++;
    } catch {
      // The process ended between readDir and read.
    }
  }
  return { ticks, rssKb, n };
}

async function nvidiaSmi(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("nvidia-smi", {
      args: [
        "--query-gpu=utilization.gpu,memory.used,memory.total",
        "--format=csv,noheader,nounits",
      ],
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(5000),
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/** A running sampler. */
export interface Sampler {
  stop(): Promise<void>;
}

/** Samples session `sid` every `intervalMs` and hands the points to `log` until stopped. */
export function startSystemMetrics(
  sid: number,
  intervalMs: number,
  log: (metrics: Metric[]) => Promise<void>,
  warn: (message: string) => void,
): Sampler {
  try {
    Deno.statSync("/proc/self/stat");
  } catch {
    return { stop: () => Promise.resolve() };
  }
  let stopped = false;
  let gpu = true;
  let step = 0;
  let prev: { ticks: number; at: number } | undefined;
  let pending: Promise<void> = Promise.resolve();
  const tick = async () => {
    const at = Date.now();
    const s = await sampleSession(sid);
    if (stopped || s.n === 0) return;
    const metrics: Metric[] = [
      { key: "system/system_memory_usage_megabytes", value: s.rssKb / 1024, timestamp: at, step },
    ];
    if (prev && at > prev.at) {
      const cpu = (100 * (s.ticks - prev.ticks) / CLK_TCK) / ((at - prev.at) / 1000);
      metrics.push({ key: "system/cpu_utilization_percentage", value: cpu, timestamp: at, step });
    }
    prev = { ticks: s.ticks, at };
    if (gpu) {
      const csv = await nvidiaSmi();
      if (csv === undefined) gpu = false;
      else metrics.push(...gpuMetrics(csv, at, step));
    }
    step++;
    await log(metrics);
  };
  const run = () => {
    pending = pending.then(tick).catch((e) => {
      stopped = true;
      clearInterval(timer);
      warn(`System metrics stopped: ${(e as Error).message}`);
    });
  };
  const timer = setInterval(run, intervalMs);
  run();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await pending;
    },
  };
}
