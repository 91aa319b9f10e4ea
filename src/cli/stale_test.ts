import assert from "node:assert/strict";
import type { Run, RunStatus } from "../model.ts";
import { processAlive, type StaleCheck, staleReason } from "./stale.ts";

const DAY = 86_400_000;

function run(status: RunStatus, startTime: number, tags: Record<string, string> = {}): Run {
  return {
    info: {
      runId: "r",
      experimentId: "0",
      userId: "u",
      status,
      startTime,
      artifactUri: "",
      lifecycleStage: "active",
    },
    data: {
      metrics: [],
      params: [],
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    },
    inputs: { datasetInputs: [] },
  };
}

const check: StaleCheck = {
  now: 100 * DAY,
  host: "here",
  staleAfterMs: 7 * DAY,
  alive: (pid) => pid === 42,
};

Deno.test("staleReason() flags RUNNING runs whose runner is gone or that are too old", () => {
  const runner = (pid: string, host = "here") => ({
    "mlt.runner.pid": pid,
    "mlt.runner.host": host,
  });
  const table: [Run, RegExp | undefined][] = [
    [run("RUNNING", 99 * DAY, runner("41")), /runner \(pid 41 on here\) is gone/],
    [run("RUNNING", 99 * DAY, runner("42")), undefined],
    [run("RUNNING", 99 * DAY, runner("41", "elsewhere")), undefined],
    [run("RUNNING", 80 * DAY, runner("41", "elsewhere")), /RUNNING for 20.0 days/],
    [run("RUNNING", 80 * DAY, runner("42")), /RUNNING for 20.0 days/],
    [run("RUNNING", 99 * DAY), undefined],
    [run("FINISHED", 1 * DAY, runner("41")), undefined],
  ];
  for (const [r, want] of table) {
    const got = staleReason(r, check);
    if (want) assert.match(got ?? "", want);
    else assert.equal(got, undefined, JSON.stringify(r.data.tags));
  }
});

Deno.test("processAlive() sees this process and not a finished one", async () => {
  assert.equal(processAlive(Deno.pid), true);
  const child = new Deno.Command("true").spawn();
  await child.status;
  assert.equal(processAlive(child.pid), false);
});
