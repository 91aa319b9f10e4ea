import assert from "node:assert/strict";
import { runOf } from "../tests/helpers/run_of.ts";
import { ColumnAggregator, columns, median } from "./aggregate.ts";
import { groupingQuery, groupRuns, parseGrouping } from "./grouping.ts";

const run = (id: string, params: Record<string, string>) => runOf({ id, params });

Deno.test("columns() puts column centres evenly over the domain", () => {
  assert.deepEqual(columns(0, 10, 5), [1, 3, 5, 7, 9]);
  assert.deepEqual(columns(3, 3, 1), [3]);
});

Deno.test("ColumnAggregator: mean with min–max band, interpolated between points", () => {
  const agg = new ColumnAggregator(columns(0, 4, 4), "mean", "minmax"); // centres .5 1.5 2.5 3.5
  agg.add([0, 4], [0, 4]); // y = x
  agg.add([0, 4], [4, 4]); // y = 4
  agg.add([2, 4], [10, 10]); // only from x = 2
  const a = agg.result();
  assert.equal(a.runs, 3);
  assert.deepEqual(a.mid, [(0.5 + 4) / 2, (1.5 + 4) / 2, (2.5 + 4 + 10) / 3, (3.5 + 4 + 10) / 3]);
  assert.deepEqual(a.lo, [0.5, 1.5, 2.5, 3.5]);
  assert.deepEqual(a.hi, [4, 4, 10, 10]);
});

Deno.test("ColumnAggregator: median and ±1 std; gaps and lone points", () => {
  const med = new ColumnAggregator([1], "median", "std");
  for (const v of [1, 2, 100]) med.add([0, 2], [v, v]);
  const m = med.result();
  assert.deepEqual(m.mid, [2]);
  const mean = 103 / 3, sd = Math.sqrt((1 + 4 + 10000) / 3 - mean * mean);
  assert.ok(Math.abs(m.hi[0] - (2 + sd)) < 1e-9);
  const gaps = new ColumnAggregator(columns(0, 3, 3), "mean", "minmax");
  gaps.add([0, 1, 2, 3], [1, NaN, 1, 1]); // a NaN breaks the line: no value between 0 and 2
  gaps.add([2.5], [7]); // one point: the nearest column only
  const g = gaps.result();
  assert.ok(Number.isNaN(g.mid[0]) && Number.isNaN(g.mid[1]));
  assert.deepEqual(g.mid[2], (1 + 7) / 2);
  assert.ok(Number.isNaN(new ColumnAggregator([0], "mean", "none").result().mid[0]));
});

Deno.test("median() of odd and even counts", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

Deno.test("groupRuns() groups by a param in order of first appearance, runs without it apart", () => {
  const runs = [
    run("a", { lr: "0.1" }),
    run("b", { lr: "0.01" }),
    run("c", { lr: "0.1" }),
    run("d", {}),
  ];
  const groups = groupRuns(runs, "params.lr");
  assert.deepEqual(groups.map((g) => [g.label, g.runs.map((r) => r.info.runId)]), [
    ["lr = 0.1", ["a", "c"]],
    ["lr = 0.01", ["b"]],
    ["lr (none)", ["d"]],
  ]);
  assert.notEqual(groups[0].color, groups[1].color);
  assert.deepEqual(groups.map((g) => g.key), ["=0.1", "=0.01", "~"]);
});

Deno.test("parseGrouping() keeps known values only; groupingQuery() leaves defaults out", () => {
  const g = parseGrouping({
    group: "params.lr",
    split: "metrics.x",
    agg: "median",
    band: "?",
    expand: ["=1", "=1"],
  });
  assert.deepEqual(g, {
    group: "params.lr",
    split: undefined,
    agg: "median",
    band: "minmax",
    expand: ["=1"],
  });
  assert.deepEqual(groupingQuery(g), {
    group: "params.lr",
    split: undefined,
    agg: "median",
    band: undefined,
    expand: ["=1"],
  });
  assert.deepEqual(groupingQuery(parseGrouping({})), {
    group: undefined,
    split: undefined,
    agg: undefined,
    band: undefined,
    expand: undefined,
  });
});
