import assert from "node:assert/strict";
import { MltError } from "../errors.ts";
import type { Experiment, Run, RunStatus } from "../model.ts";
import { parseExperimentFilter, parseRunFilter } from "./filter.ts";
import {
  compareExperiments,
  compareRuns,
  compareStrings,
  likeMatcher,
  matchExperiment,
  matchRun,
  paginate,
  referencedKeys,
} from "./match.ts";
import { parseExperimentOrderBy, parseRunOrderBy } from "./order_by.ts";
import { decodePageToken, encodePageToken } from "./page_token.ts";

interface RunSpec {
  start?: number;
  end?: number;
  status?: RunStatus;
  runName?: string;
  user?: string;
  uri?: string;
  metrics?: Record<string, number>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  datasets?: { name: string; digest: string; context?: string }[];
}

const AT0 = { timestamp: 0, step: 0 };

function run(runId: string, s: RunSpec = {}): Run {
  const kv = (o: Record<string, string> = {}) =>
    Object.entries(o).map(([key, value]) => ({ key, value }));
  return {
    info: {
      runId,
      experimentId: "0",
      runName: s.runName,
      userId: s.user ?? "u",
      status: s.status ?? "FINISHED",
      startTime: s.start,
      endTime: s.end,
      artifactUri: s.uri ?? `file:///tmp/${runId}`,
      lifecycleStage: "active",
    },
    data: {
      metrics: Object.entries(s.metrics ?? {}).map(([key, value]) => ({ key, value, ...AT0 })),
      params: kv(s.params),
      tags: kv(s.tags),
    },
    inputs: {
      datasetInputs: (s.datasets ?? []).map((d) => ({
        tags: d.context ? [{ key: "mlflow.data.context", value: d.context }] : [],
        dataset: { name: d.name, digest: d.digest, sourceType: "local", source: "{}" },
      })),
    },
  };
}

const RUNS: Run[] = [
  run("r1", {
    start: 100,
    end: 200,
    status: "FINISHED",
    runName: "alpha-run",
    user: "alice",
    uri: "s3://b/1",
    metrics: { rmse: 0.5, acc: NaN },
    params: { lr: "0.1", opt: "Adam" },
    tags: { team: "ml", "mlflow.runName": "alpha-run" },
    datasets: [{ name: "mnist", digest: "d1", context: "train" }],
  }),
  run("r2", {
    start: 300,
    status: "RUNNING",
    runName: "Beta",
    user: "bob",
    metrics: { rmse: 1.5 },
    params: { lr: "0.01" },
    tags: { "mlflow.runName": "Beta" },
    datasets: [
      { name: "cifar", digest: "d2", context: "eval" },
      { name: "mnist", digest: "d3" },
    ],
  }),
  run("r3", { start: 200, end: 250, status: "FAILED", runName: "gamma", user: "alice" }),
];

function ids(filter: string): string[] {
  const parsed = parseRunFilter(filter);
  return RUNS.filter((r) => matchRun(r, parsed)).map((r) => r.info.runId);
}

Deno.test("likeMatcher() matches whole strings with % and _ only", () => {
  const table: [string, boolean, string, boolean][] = [
    ["abc", false, "abc", true],
    ["abc", false, "abc ", false],
    ["abc", false, "xabc", false],
    ["a%", false, "abc", true],
    ["%c", false, "abc", true],
    ["%b%", false, "abc", true],
    ["%b%", false, "ac", false],
    ["a_c", false, "abc", true],
    ["a_c", false, "ac", false],
    ["a_c", false, "abbc", false],
    ["%", false, "", true],
    ["%%%", false, "", true],
    ["", false, "", true],
    ["", false, "a", false],
    ["_", false, "", false],
    ["_%_", false, "ab", true],
    ["_%_", false, "a", false],
    ["%a%b%c%", false, "xaybzc", true],
    ["a%b%c", false, "abcbc", true],
    ["a%bc", false, "abcbcx", false],
    ["a%b", false, "a\nb", true],
    ["_", false, "é", true],
    ["_", false, "😀", true],
    ["__", false, "😀", false],
    ["A%", false, "abc", false],
    ["A%", true, "abc", true],
    ["%ÉCOLE", true, "une école", true],
    ["abc", true, "ABD", false],
  ];
  for (const [pattern, ci, input, expected] of table) {
    assert.equal(likeMatcher(pattern, ci)(input), expected, `${pattern} ~ ${input}`);
  }
});

Deno.test("likeMatcher() treats regex metacharacters literally", () => {
  // [pattern, an input it matches, an input a regex built from it would wrongly match]
  const table: [string, string, string][] = [
    ["a.c", "a.c", "abc"],
    [".*", ".*", "anything"],
    ["a+", "a+", "aa"],
    ["a?", "a?", "a"],
    ["(a|b)", "(a|b)", "a"],
    ["[ab]", "[ab]", "a"],
    ["x{2}", "x{2}", "xx"],
    ["^a$", "^a$", "a"],
    ["a\\%", "a\\xyz", "a%"],
    ["\\d", "\\d", "1"],
    ["%.*+?()[]{}^$|\\%", "x.*+?()[]{}^$|\\y", "x"],
  ];
  for (const [pattern, yes, no] of table) {
    for (const ci of [false, true]) {
      assert.equal(likeMatcher(pattern, ci)(yes), true, `${pattern} ~ ${yes}`);
      assert.equal(likeMatcher(pattern, ci)(no), false, `${pattern} !~ ${no}`);
    }
  }
});

Deno.test("likeMatcher() stays fast on pathological patterns", () => {
  const t0 = performance.now();
  assert.equal(likeMatcher("%a%a%a%a%a%a%b", false)("a".repeat(5000)), false);
  assert.ok(performance.now() - t0 < 1000);
});

Deno.test("matchRun() applies every comparator to metrics", () => {
  const table: [string, string[]][] = [
    ["metrics.rmse = 0.5", ["r1"]],
    ["metrics.rmse != 0.5", ["r2"]],
    ["metrics.rmse < 1", ["r1"]],
    ["metrics.rmse <= 1.5", ["r1", "r2"]],
    ["metrics.rmse > 0.5", ["r2"]],
    ["metrics.rmse >= 0.5", ["r1", "r2"]],
    ["metrics.acc != 0", ["r1"]],
    ["metrics.acc = 0", []],
    ["metrics.acc > 0", []],
    ["metrics.missing != 1", []],
  ];
  for (const [filter, expected] of table) assert.deepEqual(ids(filter), expected, filter);
});

Deno.test("matchRun() applies every comparator to params and tags", () => {
  const table: [string, string[]][] = [
    ["params.lr = '0.1'", ["r1"]],
    ["params.lr != '0.1'", ["r2"]],
    ["params.lr LIKE '0.%'", ["r1", "r2"]],
    ["params.lr LIKE '0_1'", ["r1"]],
    ["params.opt LIKE 'adam'", []],
    ["params.opt ILIKE 'adam'", ["r1"]],
    ["params.lr IS NULL", ["r3"]],
    ["params.lr IS NOT NULL", ["r1", "r2"]],
    ["tags.team = 'ml'", ["r1"]],
    ["tags.team != 'ml'", []],
    ["tags.team != 'other'", ["r1"]],
    ["tags.team LIKE 'm%'", ["r1"]],
    ["tags.team ILIKE 'ML'", ["r1"]],
    ["tags.team IS NULL", ["r2", "r3"]],
    ["tags.team IS NOT NULL", ["r1"]],
    ["tags.mlflow.runName LIKE 'B%'", ["r2"]],
  ];
  for (const [filter, expected] of table) assert.deepEqual(ids(filter), expected, filter);
});

Deno.test("matchRun() applies every comparator to attributes", () => {
  const table: [string, string[]][] = [
    ["status = 'FINISHED'", ["r1"]],
    ["status != 'FINISHED'", ["r2", "r3"]],
    ["status LIKE 'F%'", ["r1", "r3"]],
    ["status ILIKE 'running'", ["r2"]],
    ["attributes.run_id = 'r2'", ["r2"]],
    ["run_id IN ('r1', 'r3')", ["r1", "r3"]],
    ["run_id NOT IN ('r1')", ["r2", "r3"]],
    ["run_name = 'gamma'", ["r3"]],
    ["`Run Name` ILIKE 'beta'", ["r2"]],
    ["run_name LIKE '%-run'", ["r1"]],
    ["user_id = 'alice'", ["r1", "r3"]],
    ["artifact_uri LIKE 's3://%'", ["r1"]],
    ["start_time = 200", ["r3"]],
    ["start_time != 200", ["r1", "r2"]],
    ["start_time >= 200", ["r2", "r3"]],
    ["start_time > 200", ["r2"]],
    ["created < 200", ["r1"]],
    ["created <= 200", ["r1", "r3"]],
    ["end_time > 0", ["r1", "r3"]],
    ["end_time != 200", ["r3"]],
  ];
  for (const [filter, expected] of table) assert.deepEqual(ids(filter), expected, filter);
});

Deno.test("matchRun() matches a dataset comparison when any input matches", () => {
  const table: [string, string[]][] = [
    ["datasets.name = 'mnist'", ["r1", "r2"]],
    ["datasets.name != 'mnist'", ["r2"]],
    ["datasets.name LIKE 'c%'", ["r2"]],
    ["datasets.name ILIKE 'MN%'", ["r1", "r2"]],
    ["datasets.digest IN ('d1', 'd3')", ["r1", "r2"]],
    ["datasets.digest NOT IN ('d1')", ["r2"]],
    ["datasets.context = 'train'", ["r1"]],
    ["datasets.context != 'train'", ["r2"]],
    ["datasets.context LIKE '%'", ["r1", "r2"]],
    ["datasets.context IN ('eval')", ["r2"]],
  ];
  for (const [filter, expected] of table) assert.deepEqual(ids(filter), expected, filter);
});

Deno.test("matchRun() requires every comparison (AND)", () => {
  assert.deepEqual(ids(""), ["r1", "r2", "r3"]);
  assert.deepEqual(ids("metrics.rmse > 0 AND params.lr = '0.01'"), ["r2"]);
  assert.deepEqual(ids("user_id = 'alice' AND status = 'FAILED'"), ["r3"]);
  assert.deepEqual(ids("user_id = 'alice' AND status = 'RUNNING'"), []);
});

Deno.test("matchRun() reads the run name from the mlflow.runName tag first", () => {
  const r = run("r9", { runName: "old", tags: { "mlflow.runName": "new" } });
  assert.equal(matchRun(r, parseRunFilter("run_name = 'new'")), true);
  assert.equal(matchRun(r, parseRunFilter("run_name = 'old'")), false);
  assert.equal(matchRun(run("r8"), parseRunFilter("run_name != 'x'")), false);
});

function order(runs: Run[], orderBy: string[]): string[] {
  return [...runs].sort(compareRuns(parseRunOrderBy(orderBy))).map((r) => r.info.runId);
}

Deno.test("compareRuns() defaults to start_time DESC then run_id ASC, missing last", () => {
  const runs = [
    run("b", { start: 100 }),
    run("x", {}),
    run("c", { start: 300 }),
    run("a", { start: 100 }),
    run("d", { start: 200 }),
  ];
  assert.deepEqual(order(runs, []), ["c", "d", "a", "b", "x"]);
});

Deno.test("compareRuns() puts NaN and missing metrics last in both directions", () => {
  const runs = [
    run("a", { start: 1, metrics: { m: 1 } }),
    run("b", { start: 1, metrics: { m: NaN } }),
    run("c", { start: 1 }),
    run("d", { start: 1, metrics: { m: -1 } }),
    run("e", { start: 1, metrics: { m: 3 } }),
    run("f", { start: 1, metrics: { m: -Infinity } }),
  ];
  assert.deepEqual(order(runs, ["metrics.m"]), ["f", "d", "a", "e", "b", "c"]);
  assert.deepEqual(order(runs, ["metrics.m DESC"]), ["e", "a", "d", "f", "b", "c"]);
});

Deno.test("compareRuns() breaks ties with start_time DESC and run_id ASC", () => {
  const runs = [
    run("a", { start: 1, params: { p: "x" } }),
    run("b", { start: 2, params: { p: "x" } }),
    run("c", { start: 2, params: { p: "x" } }),
    run("d", { start: 9, params: { p: "y" } }),
  ];
  assert.deepEqual(order(runs, ["params.p"]), ["b", "c", "a", "d"]);
  assert.deepEqual(order(runs, ["params.p DESC"]), ["d", "b", "c", "a"]);
});

Deno.test("compareRuns() applies clauses in order", () => {
  const runs = [
    run("a", { params: { p: "1" }, metrics: { m: 1 } }),
    run("b", { params: { p: "1" }, metrics: { m: 2 } }),
    run("c", { params: { p: "0" }, metrics: { m: 0 } }),
    run("d", { metrics: { m: 5 } }),
  ];
  assert.deepEqual(order(runs, ["params.p", "metrics.m DESC"]), ["c", "b", "a", "d"]);
  assert.deepEqual(order(runs, ["metrics.m DESC", "params.p"]), ["d", "b", "a", "c"]);
});

Deno.test("compareRuns() orders attributes, tags and run names", () => {
  const runs = [
    run("a", { start: 1, status: "RUNNING", runName: "z", tags: { t: "2" } }),
    run("b", { start: 1, status: "FAILED", runName: "y", tags: { "mlflow.runName": "b" } }),
    run("c", { start: 1, status: "KILLED", end: 5, tags: { t: "1" } }),
  ];
  assert.deepEqual(order(runs, ["status"]), ["b", "c", "a"]);
  assert.deepEqual(order(runs, ["attributes.run_name"]), ["b", "a", "c"]);
  assert.deepEqual(order(runs, ["tags.t DESC"]), ["a", "c", "b"]);
  assert.deepEqual(order(runs, ["end_time DESC"]), ["c", "a", "b"]);
  assert.deepEqual(order(runs, ["run_id DESC"]), ["c", "b", "a"]);
});

Deno.test("compareStrings() orders by code point like Python", () => {
  const words = ["😀", "\uffff", "é", "z", "Z", "", "za"];
  assert.deepEqual([...words].sort(compareStrings), ["", "Z", "z", "za", "é", "\uffff", "😀"]);
  const runs = words.map((p, i) => run(`r${i}`, { params: { p } }));
  assert.deepEqual(order(runs, ["params.p"]), ["r5", "r4", "r3", "r6", "r2", "r1", "r0"]);
});

function exp(experimentId: string, name: string, created?: number, updated?: number): Experiment {
  return {
    experimentId,
    name,
    artifactLocation: `file:///tmp/${experimentId}`,
    lifecycleStage: "active",
    creationTime: created,
    lastUpdateTime: updated,
    tags: name.startsWith("t") ? [{ key: "kind", value: name }] : [],
  };
}

const EXPS = [exp("1", "alpha", 10, 50), exp("2", "Beta", 30), exp("10", "tagged", 20, 40)];

Deno.test("matchExperiment() applies every comparator", () => {
  const table: [string, string[]][] = [
    ["name = 'alpha'", ["1"]],
    ["name != 'alpha'", ["2", "10"]],
    ["name LIKE '%a'", ["1", "2"]],
    ["name LIKE 'b%'", []],
    ["name ILIKE 'b%'", ["2"]],
    ["creation_time = 20", ["10"]],
    ["creation_time != 20", ["1", "2"]],
    ["creation_time < 20", ["1"]],
    ["creation_time <= 20", ["1", "10"]],
    ["creation_time > 10", ["2", "10"]],
    ["creation_time >= 30", ["2"]],
    ["last_update_time > 0", ["1", "10"]],
    ["tags.kind = 'tagged'", ["10"]],
    ["tags.kind != 'x'", ["10"]],
    ["tags.kind LIKE 't%'", ["10"]],
    ["tags.kind ILIKE 'T%'", ["10"]],
    ["tags.kind IS NULL", ["1", "2"]],
    ["tags.kind IS NOT NULL", ["10"]],
    ["name LIKE '%a%' AND creation_time > 10", ["2", "10"]],
  ];
  for (const [filter, expected] of table) {
    const parsed = parseExperimentFilter(filter);
    const got = EXPS.filter((e) => matchExperiment(e, parsed)).map((e) => e.experimentId);
    assert.deepEqual(got, expected, filter);
  }
});

function expOrder(exps: Experiment[], orderBy: string[]): string[] {
  return [...exps].sort(compareExperiments(parseExperimentOrderBy(orderBy)))
    .map((e) => e.experimentId);
}

Deno.test("compareExperiments() defaults to creation_time DESC, experiment_id ASC", () => {
  const exps = [exp("3", "c", 5), exp("10", "a", 5), exp("2", "b"), exp("9", "d", 7)];
  assert.deepEqual(expOrder(exps, []), ["9", "3", "10", "2"]);
});

Deno.test("compareExperiments() compares integer ids numerically", () => {
  const exps = [exp("10", "a"), exp("9", "a"), exp("2", "a"), exp("abc", "a"), exp("1b", "a")];
  assert.deepEqual(expOrder(exps, ["experiment_id"]), ["2", "9", "10", "1b", "abc"]);
  assert.deepEqual(expOrder(exps, ["experiment_id DESC"]), ["abc", "1b", "10", "9", "2"]);
});

Deno.test("compareExperiments() adds MLflow's experiment_id DESC tie-break", () => {
  const exps = [exp("1", "same"), exp("3", "same"), exp("2", "other")];
  assert.deepEqual(expOrder(exps, ["name"]), ["2", "3", "1"]);
  assert.deepEqual(expOrder(exps, ["name", "experiment_id"]), ["2", "1", "3"]);
});

Deno.test("compareExperiments() puts missing times last in both directions", () => {
  const exps = [exp("1", "a", 1, 5), exp("2", "b", 2), exp("3", "c", 3, 7)];
  assert.deepEqual(expOrder(exps, ["last_update_time"]), ["1", "3", "2"]);
  assert.deepEqual(expOrder(exps, ["last_update_time DESC"]), ["3", "1", "2"]);
  assert.deepEqual(expOrder(exps, ["name DESC"]), ["3", "2", "1"]);
});

Deno.test("paginate() pages by offset with a token only when more remain", () => {
  const items = ["a", "b", "c", "d", "e"];
  const p1 = paginate(items, 2);
  assert.deepEqual(p1, { items: ["a", "b"], nextPageToken: encodePageToken(2) });
  const p2 = paginate(items, 2, p1.nextPageToken);
  assert.deepEqual(p2, { items: ["c", "d"], nextPageToken: encodePageToken(4) });
  const p3 = paginate(items, 2, p2.nextPageToken);
  assert.deepEqual(p3, { items: ["e"] });
  assert.deepEqual(paginate(items.slice(0, 4), 2, p1.nextPageToken), { items: ["c", "d"] });
  assert.deepEqual(paginate(items, 10), { items });
  assert.deepEqual(paginate(items, 2, encodePageToken(9)), { items: [] });
  assert.deepEqual(paginate([], 1), { items: [] });
  assert.equal(decodePageToken(paginate(items, 1).nextPageToken), 1);
});

Deno.test("paginate() rejects bad sizes and tokens", () => {
  for (const n of [0, -1, 1.5, NaN]) {
    assert.throws(() => paginate([1], n), (e: unknown) => {
      assert.ok(e instanceof MltError && e.code === "INVALID_PARAMETER_VALUE");
      assert.match(e.message, /max_results/);
      return true;
    });
  }
  assert.throws(() => paginate([1], 1, "abc"), /could not base64-decode/);
});

Deno.test("referencedKeys() lists what filter and order_by read", () => {
  const keys = referencedKeys(
    parseRunFilter("metrics.m > 1 AND params.p = 'x' AND `Run Name` = 'n' AND status = 'F'"),
    parseRunOrderBy(["tags.t", "metrics.n DESC", "created"]),
  );
  assert.deepEqual(keys, {
    metrics: new Set(["m", "n"]),
    params: new Set(["p"]),
    tags: new Set(["mlflow.runName", "t"]),
    datasets: false,
    attributes: new Set(["run_name", "status", "start_time"]),
  });
  assert.equal(referencedKeys(parseRunFilter("datasets.name = 'd'"), []).datasets, true);
  assert.deepEqual(referencedKeys([], []), {
    metrics: new Set(),
    params: new Set(),
    tags: new Set(),
    datasets: false,
    attributes: new Set(),
  });
});
