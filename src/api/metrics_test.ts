import assert from "node:assert/strict";
import type { Metric } from "../model.ts";
import { sampleRun } from "./metrics.ts";

const points = (steps: number[]): Metric[] =>
  steps.map((step, i) => ({ key: "m", value: i, timestamp: 1000 + i, step }));

Deno.test("sampleRun() buckets points as SQL's NTILE and always keeps the last", () => {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const cases: [number[], number, number[]][] = [
    // Answers of MLflow 3.17.2's SQL store on the same histories (tests/compat/rest_parity_test.ts).
    [range(10), 3, [0, 4, 9]],
    [range(10), 4, [0, 3, 6, 9]],
    [range(10), 2500, range(10)],
    [range(10), 1, [9]],
    [[], 5, []],
    [[5, 5, 5, 5, 5, 5], 2, [5, 5]],
    [[3, -1, 2], 2, [-1, 3]],
  ];
  for (const [steps, max, expected] of cases) {
    assert.deepEqual(
      sampleRun(points(steps), max).map((m) => m.step),
      expected,
      `${steps} / ${max}`,
    );
  }
  // Ties on a step are ordered by timestamp, then value; NaN sorts as the 0 MLflow stores for it.
  const tied: Metric[] = [
    { key: "m", value: NaN, timestamp: 1, step: 0 },
    { key: "m", value: 2, timestamp: 1, step: 0 },
    { key: "m", value: -1, timestamp: 1, step: 0 },
  ];
  assert.deepEqual(sampleRun(tied, 3).map((m) => m.value), [-1, NaN, 2]);
});
