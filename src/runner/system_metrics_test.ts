import assert from "node:assert/strict";
import { gpuMetrics, parseProcStat, parseVmRssKb } from "./system_metrics.ts";

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
    ["system/gpu_0_memory_usage_megabytes", 1024],
    ["system/gpu_0_memory_usage_percentage", 25],
    ["system/gpu_1_utilization_percentage", 0],
    ["system/gpu_1_memory_usage_megabytes", 0],
    ["system/gpu_1_memory_usage_percentage", 0],
  ]);
  assert.ok(m.every((x) => x.timestamp === 1000 && x.step === 2));
});
