/**
 * System metrics while the entry point runs, which MLflow's runner lacks. Under MLflow's own names
 * and units (those of its system-metrics monitor: megabytes are 10^6 bytes), the machine's
 * figures: CPU and memory in use, disk use of `/`, network traffic since the run started, and GPU
 * use when `nvidia-smi` exists. Under names of mlt's own, the entry point's process tree (its
 * session): `system/process_cpu_utilization_percentage` and
 * `system/process_memory_usage_megabytes`. Linux only (read from /proc); elsewhere it does nothing.
 */
import type { Metric } from "../model.ts";

/** Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on every Linux ABI). */
const CLK_TCK = 100;
const MB = 1e6;

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

/** The machine's CPU time from /proc/stat's first line: busy and total ticks (psutil's sums). */
export function parseCpuTimes(text: string): { busy: number; total: number } | undefined {
  const m = /^cpu\s+(.*)$/m.exec(text);
  if (!m) return undefined;
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = m[1].trim()
    .split(/\s+/).map(Number);
  // guest and guest_nice are already counted in user and nice.
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return Number.isFinite(total) ? { busy: total - idle - iowait, total } : undefined;
}

/** Memory in use and in total from /proc/meminfo, in bytes (used = total − available). */
export function parseMeminfo(text: string): { used: number; total: number } | undefined {
  const kb = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m").exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb("MemTotal"), avail = kb("MemAvailable") ?? kb("MemFree");
  return total && avail !== undefined ? { used: total - Math.min(avail, total), total } : undefined;
}

/** Bytes received and sent over every interface, from /proc/net/dev. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0, tx = 0;
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (Number.isFinite(f[0]) && Number.isFinite(f[8])) [rx, tx] = [rx + f[0], tx + f[8]];
  }
  return { rx, tx };
}

/** Used and available bytes of `df -B1 --output=used,avail /`. */
export function parseDf(text: string): { used: number; avail: number } | undefined {
  const [used, avail] = (text.trim().split("\n")[1] ?? "").trim().split(/\s+/).map(Number);
  return Number.isFinite(used) && Number.isFinite(avail) ? { used, avail } : undefined;
}

/** Parses `nvidia-smi --query-gpu=utilization.gpu,memory.used,memory.total` CSV into metrics. */
export function gpuMetrics(csv: string, timestamp: number, step: number): Metric[] {
  const out: Metric[] = [];
  csv.trim().split("\n").forEach((line, i) => {
    const [util, used, total] = line.split(",").map((s) => Number(s.trim()));
    if (![util, used, total].every(Number.isFinite)) return;
    const m = (key: string, value: number) => out.push({ key, value, timestamp, step });
    m(`system/gpu_${i}_utilization_percentage`, util);
    // nvidia-smi counts MiB; MLflow logs megabytes.
    m(`system/gpu_${i}_memory_usage_megabytes`, round1((used * 1024 * 1024) / MB));
    if (total > 0) m(`system/gpu_${i}_memory_usage_percentage`, round1((100 * used) / total));
  });
  return out;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
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

async function output(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(5000),
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

async function readOr(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/** A running sampler. */
export interface Sampler {
  stop(): Promise<void>;
}

/** What one sample compares with: the previous CPU readings. */
interface Previous {
  at: number;
  ticks: number;
  cpu?: { busy: number; total: number };
}

/**
 * Samples the machine and session `sid` every `intervalMs` and hands the points to `log` until
 * stopped.
 */
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
  let gpu = true, disk = true;
  let step = 0;
  let prev: Previous | undefined;
  let net0: { rx: number; tx: number } | undefined;
  let pending: Promise<void> = Promise.resolve();
  const tick = async () => {
    const at = Date.now();
    const s = await sampleSession(sid);
    if (stopped || s.n === 0) return;
    const metrics: Metric[] = [];
    const m = (key: string, value: number) =>
      metrics.push({ key: `system/${key}`, value, timestamp: at, step });
    const cpu = parseCpuTimes((await readOr("/proc/stat")) ?? "");
    if (prev && at > prev.at) {
      const own = (100 * (s.ticks - prev.ticks) / CLK_TCK) / ((at - prev.at) / 1000);
      m("process_cpu_utilization_percentage", round1(own));
      if (cpu && prev.cpu && cpu.total > prev.cpu.total) {
        m(
          "cpu_utilization_percentage",
          round1((100 * (cpu.busy - prev.cpu.busy)) / (cpu.total - prev.cpu.total)),
        );
      }
    }
    prev = { at, ticks: s.ticks, cpu };
    m("process_memory_usage_megabytes", round1((s.rssKb * 1024) / MB));
    const mem = parseMeminfo((await readOr("/proc/meminfo")) ?? "");
    if (mem) {
      m("system_memory_usage_megabytes", round1(mem.used / MB));
      m("system_memory_usage_percentage", round1((100 * mem.used) / mem.total));
    }
    if (disk) {
      const df = parseDf((await output("df", ["-B1", "--output=used,avail", "/"])) ?? "");
      if (!df) disk = false;
      else {
        m("disk_usage_percentage", round1((100 * df.used) / (df.used + df.avail || 1)));
        m("disk_usage_megabytes", round1(df.used / MB));
        m("disk_available_megabytes", round1(df.avail / MB));
      }
    }
    const netText = await readOr("/proc/net/dev");
    if (netText) {
      const net = parseNetDev(netText);
      net0 ??= net;
      m("network_receive_megabytes", round1((net.rx - net0.rx) / MB));
      m("network_transmit_megabytes", round1((net.tx - net0.tx) / MB));
    }
    if (gpu) {
      const csv = await output("nvidia-smi", [
        "--query-gpu=utilization.gpu,memory.used,memory.total",
        "--format=csv,noheader,nounits",
      ]);
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
