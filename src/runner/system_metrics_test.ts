import assert from "node:assert/strict";
import {
  gpuMetrics,
  parseCpuTimes,
  parseDf,
  parseMeminfo,
  parseNetDev,
  parseProcStat,
  parseVmRssKb,
} from "./system_metrics.ts";

Deno.test("parseProcStat() reads the session and CPU ticks, even with odd command names", () => {
  const stat = "4242 (my prog) (x) S 1 4242 4240 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0";
  assert.deepEqual(parseProcStat(stat), { session: 4240, ticks: 325 });
  assert.equal(parseProcStat("garbage"), undefined);
});

Deno.test("parseVmRssKb() reads VmRSS and is 0 without it", () => {
  assert.equal(parseVmRssKb("Name:\tbash\nVmRSS:\t    3216 kB\nThreads: 1\n"), 3216);
  assert.equal(parseVmRssKb("Name:\tkthreadd\n"), 0);
});

Deno.test("gpuMetrics() turns nvidia-smi CSV into MLflow's system/gpu_* metrics", () => {
  const m = gpuMetrics("35, 1024, 4096\n0, 0, 8192\nbad line\n", 1000, 2);
  assert.deepEqual(m.map((x) => [x.key, x.value]), [
    ["system/gpu_0_utilization_percentage", 35],
    ["system/gpu_0_memory_usage_megabytes", 1073.7],
    ["system/gpu_0_memory_usage_percentage", 25],
    ["system/gpu_1_utilization_percentage", 0],
    ["system/gpu_1_memory_usage_megabytes", 0],
    ["system/gpu_1_memory_usage_percentage", 0],
  ]);
  assert.ok(m.every((x) => x.timestamp === 1000 && x.step === 2));
});

Deno.test("parseCpuTimes() sums /proc/stat's cpu line as psutil does (guests already in user)", () => {
  const t = parseCpuTimes("cpu  100 5 50 800 20 1 2 3 7 0\ncpu0 1 2 3 4\n");
  assert.deepEqual(t, { busy: 100 + 5 + 50 + 1 + 2 + 3, total: 981 });
  assert.equal(parseCpuTimes("nothing"), undefined);
});

Deno.test("parseMeminfo() gives used = total − available, in bytes", () => {
  const m = parseMeminfo("MemTotal:       16000 kB\nMemFree:  1000 kB\nMemAvailable:   6000 kB\n");
  assert.deepEqual(m, { used: 10000 * 1024, total: 16000 * 1024 });
  assert.equal(parseMeminfo(""), undefined);
});

Deno.test("parseNetDev() sums every interface's received and sent bytes", () => {
  const text = "Inter-| Receive | Transmit\n face |bytes packets\n" +
    "    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n  eth0: 2000 9 0 0 0 0 0 0 500 4 0 0 0 0 0 0\n";
  assert.deepEqual(parseNetDev(text), { rx: 2100, tx: 600 });
});

Deno.test("parseDf() reads df's used and available bytes", () => {
  assert.deepEqual(parseDf("       Used       Avail\n18930364416 78862929920\n"), {
    used: 18930364416,
    avail: 78862929920,
  });
  assert.equal(parseDf("df: unrecognized option\n"), undefined);
});
