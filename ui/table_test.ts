import assert from "node:assert/strict";
import { runOf } from "../tests/helpers/run_of.ts";
import { csvField, csvRow } from "./csv.ts";
import { parseExperimentState, stateQuery } from "./experiment_state.ts";
import { formatAgo } from "./format.ts";
import { parseColumn, runColumns } from "./runs_query.ts";

function run(metrics: string[], params: string[], tags: string[] = []) {
  return runOf({ metrics, params: Object.fromEntries(params.map((k) => [k, "v"])), tags });
}

Deno.test("runColumns(): params, then user metrics, then system metrics; tags on request", () => {
  const runs = [
    run(["loss", "system/cpu_utilization_percentage", "acc"], ["lr", "seed"], [
      "team",
      "mlflow.user",
    ]),
  ];
  const { columns, available } = runColumns(runs, undefined);
  assert.deepEqual(columns, {
    params: ["params.lr", "params.seed"],
    metrics: ["metrics.acc", "metrics.loss"],
    system: ["metrics.system/cpu_utilization_percentage"],
    tags: [],
  });
  assert.deepEqual(available.tags, ["tags.team"]);
  const chosen = runColumns(runs, [
    "metrics.loss@max",
    "tags.team",
    "metrics.loss",
    "params.seed",
    "metrics.gone",
  ]);
  assert.deepEqual(chosen.columns, {
    params: ["params.seed"],
    metrics: ["metrics.loss", "metrics.loss@max", "metrics.gone"],
    system: [],
    tags: ["tags.team"],
  });
  assert.ok(chosen.available.metrics.includes("metrics.gone"), "a chosen column stays choosable");
});

Deno.test("parseColumn() reads min/max metric columns and refuses them elsewhere", () => {
  assert.deepEqual(parseColumn("metrics.a/b@min"), { kind: "metrics", key: "a/b", agg: "min" });
  assert.deepEqual(parseColumn("params.x"), { kind: "params", key: "x", agg: "latest" });
  assert.equal(parseColumn("params.x@min"), undefined);
  assert.equal(parseColumn("attributes.x"), undefined);
});

Deno.test("csvField() quotes, and defuses text a spreadsheet would run", () => {
  const table: [string | number | undefined, string][] = [
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["line\nbreak", '"line\nbreak"'],
    ["=1+2", "'=1+2"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["-0.5", "-0.5"],
    [-0.5, "-0.5"],
    [NaN, "NaN"],
    [undefined, ""],
  ];
  for (const [v, want] of table) assert.equal(csvField(v), want, String(v));
  assert.equal(csvRow(["a", 1, undefined]), "a,1,\r\n");
});

Deno.test("formatAgo() reads like a person", () => {
  const now = Date.UTC(2024, 5, 1);
  const table: [number, string][] = [
    [10_000, "just now"],
    [3 * 60_000, "3 min ago"],
    [5 * 3600_000, "5 h ago"],
    [86400_000, "1 day ago"],
    [10 * 86400_000, "10 days ago"],
    [90 * 86400_000, "3 months ago"],
    [3 * 365 * 86400_000, "3 years ago"],
  ];
  for (const [ago, want] of table) assert.equal(formatAgo(now - ago, now), want);
});

Deno.test("parseExperimentState() and stateQuery() round-trip, defaults left out", () => {
  const q = new URLSearchParams(
    "tab=charts&filter=x&sort=metrics.loss&dir=desc&n=1000&group=params.lr&agg=median&expand=%3D0.1&hide=a,b&x=relative&smooth=0.5&sys=1&cols=params.lr,metrics.loss@min",
  );
  const s = parseExperimentState({ get: (n) => q.get(n) ?? undefined, all: (n) => q.getAll(n) });
  assert.equal(s.tab, "charts");
  assert.equal(s.n, 1000);
  assert.deepEqual(s.hide, ["a", "b"]);
  assert.deepEqual(s.cols, ["params.lr", "metrics.loss@min"]);
  assert.deepEqual(s.orderBy, ["metrics.`loss` DESC", "attributes.start_time DESC"]);
  const back = stateQuery(s);
  assert.equal(back.group, "params.lr");
  assert.deepEqual(back.expand, ["=0.1"]);
  assert.equal(back.smooth, "0.5");
  const none = new URLSearchParams("");
  const d = stateQuery(
    parseExperimentState({ get: (n) => none.get(n) ?? undefined, all: () => [] }),
  );
  assert.deepEqual(Object.values(d).filter((v) => v !== undefined), []);
});
