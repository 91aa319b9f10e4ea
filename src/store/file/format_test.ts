import assert from "node:assert/strict";
import { MltError } from "../../errors.ts";
import type { Experiment, RunInfo } from "../../model.ts";
import {
  datasetFromMeta,
  datasetToYaml,
  dumpYaml,
  experimentFromMeta,
  experimentToYaml,
  formatFloat,
  inputFromMeta,
  inputToYaml,
  latestMetric,
  metricLine,
  parseFloatText,
  parseMetricLine,
  parseMetricText,
  parseYamlMapping,
  runFromMeta,
  runToYaml,
} from "./format.ts";
import { foldLatest } from "./metric_scan.ts";

Deno.test("formatFloat() writes Python repr(float)", () => {
  const table: [number, string][] = [
    [0.1, "0.1"],
    [10, "10.0"],
    [1e-5, "1e-05"],
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [123456789012345.6, "123456789012345.6"],
    [1234567890123456.7, "1234567890123456.8"],
    [0.0001, "0.0001"],
    [0.00012345, "0.00012345"],
    [1.5e-7, "1.5e-07"],
    [-2.5, "-2.5"],
    [1 / 3, "0.3333333333333333"],
    [2 ** 53, "9007199254740992.0"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [100, "100.0"],
    [12345678.9, "12345678.9"],
    [-0, "-0.0"],
    [0, "0.0"],
    [NaN, "nan"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
  ];
  for (const [v, want] of table) assert.equal(formatFloat(v), want, `formatFloat(${v})`);
});

Deno.test("parseFloatText() reads Python and JS styles and refuses the rest", () => {
  const table: [string, number | undefined][] = [
    ["0.1", 0.1],
    ["10", 10],
    ["1e-05", 1e-5],
    ["0.00001", 1e-5],
    ["1e+16", 1e16],
    ["-3.", -3],
    [".5", 0.5],
    ["inf", Infinity],
    ["-inf", -Infinity],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["nan", NaN],
    ["NaN", NaN],
    ["abc", undefined],
    ["", undefined],
    ["1e", undefined],
    ["0x10", undefined],
  ];
  for (const [s, want] of table) {
    const got = parseFloatText(s);
    if (want === undefined) assert.equal(got, undefined, s);
    else assert.ok(Object.is(got, want), `${s} → ${got}`);
  }
});

Deno.test("formatFloat() round-trips through parseFloatText()", () => {
  for (const v of [Math.PI, 1e-300, 6.02e23, -1e-5, 0.5, 123.456, 2 ** 60]) {
    assert.equal(parseFloatText(formatFloat(v)), v);
  }
});

Deno.test("metricLine() writes 3 or 5 fields", () => {
  assert.equal(metricLine({ key: "k", value: 0.5, timestamp: 17, step: 3 }), "17 0.5 3\n");
  assert.equal(metricLine({ key: "k", value: NaN, timestamp: 1, step: -2 }), "1 nan -2\n");
  assert.equal(
    metricLine({
      key: "k",
      value: 2,
      timestamp: 1,
      step: 0,
      datasetName: "ds",
      datasetDigest: "abc",
    }),
    "1 2.0 0 ds abc\n",
  );
});

Deno.test("parseMetricLine() reads 2, 3 and 5 fields", () => {
  assert.deepEqual(parseMetricLine("k", "17 0.5"), {
    key: "k",
    value: 0.5,
    timestamp: 17,
    step: 0,
  });
  assert.deepEqual(parseMetricLine("k", "17 1e-05 4\r"), {
    key: "k",
    value: 1e-5,
    timestamp: 17,
    step: 4,
  });
  assert.deepEqual(parseMetricLine("k", "1 2.0 0 ds abc"), {
    key: "k",
    value: 2,
    timestamp: 1,
    step: 0,
    datasetName: "ds",
    datasetDigest: "abc",
  });
});

Deno.test("parseMetricLine() refuses 4 fields and non-numbers with INTERNAL_ERROR", () => {
  for (const line of ["1 2 3 4", "1", "1 x 0", "t 1 0", "1 1 1.5"]) {
    assert.throws(
      () => parseMetricLine("acc", line),
      (e: unknown) =>
        e instanceof MltError && e.code === "INTERNAL_ERROR" &&
        e.message.startsWith("Metric 'acc' is malformed"),
      line,
    );
  }
});

Deno.test("parseMetricText() ignores a torn last line and blank lines", () => {
  const pts = parseMetricText("k", "1 0.1 0\n\n2 0.2 1\n3 0.3");
  assert.deepEqual(pts.map((p) => p.value), [0.1, 0.2]);
  assert.deepEqual(parseMetricText("k", "1 0.1"), []);
});

Deno.test("latestMetric() is the max by (step, timestamp, value), first wins ties", () => {
  const p = (step: number, timestamp: number, value: number) => ({
    key: "k",
    step,
    timestamp,
    value,
  });
  assert.deepEqual(latestMetric([p(1, 5, 1), p(2, 1, 0), p(2, 1, -1)]), p(2, 1, 0));
  assert.deepEqual(latestMetric([p(0, 1, 1), p(0, 2, 0)]), p(0, 2, 0));
  // Python: 5 > nan and nan > 5 are both False, so max() keeps whichever came first.
  assert.ok(Number.isNaN(latestMetric([p(0, 1, NaN), p(0, 1, 5)])!.value));
  assert.equal(latestMetric([p(0, 1, 5), p(0, 1, NaN)])?.value, 5);
  assert.equal(latestMetric([]), undefined);
});

// Lines the fast paths must read exactly as the general parser does (or leave to it).
const ODD_LINES = [
  "1 0.5 0",
  "1700000000000 0.01999866669333308 12",
  "01 2 03",
  "1 1.e5 2",
  "1 .5 2",
  "1 -0.0 2",
  "1 +3 2",
  "1 1e-05 3",
  "1 1E+300 3",
  "1 nan 2",
  "1 -inf 2",
  "1 Infinity 2",
  "-1 2 3",
  "1 2 -3",
  "1 2",
  "1 2 3 ds digest",
  "1 2 3\r",
  " 1 2 3 ",
  "12345678901234567 2 3",
  "1 2 1234567890123456",
];

Deno.test("parseMetricText() reads usual and odd lines as parseMetricLine() does", () => {
  for (const line of ODD_LINES) {
    assert.deepEqual(parseMetricText("k", line + "\n"), [parseMetricLine("k", line)], line);
  }
  for (const bad of ["1 1-2 3", "1 1e 3", "1 . 3", "1 - 3", "x 1 2", "1 2 y", "1\t2\t3"]) {
    assert.throws(() => parseMetricText("k", bad + "\n"), MltError, bad);
  }
});

Deno.test("foldLatest() agrees with parseMetricText() + latestMetric(), chunk by chunk", () => {
  const texts = [
    ODD_LINES.join("\n") + "\n",
    "5 1 3\n4 2 3\n6 0 2\n\n5 1 3\n",
    "1 nan 0\n1 5 0\n",
    "1 5 0\n1 nan 0\n1 7 0\n",
    "3 0.1 9\n3 0.1 9 ds d\n2 0.9 10\n",
  ];
  const enc = new TextEncoder();
  for (const text of texts) {
    const points = parseMetricText("k", text);
    const want = latestMetric(points);
    const got = foldLatest("k", enc.encode(text), undefined);
    assert.deepEqual(got, { latest: want, count: points.length }, text);
    // Split at every line boundary: folding the second part into the first's result agrees.
    const lines = text.split("\n");
    for (let i = 1; i < lines.length - 1; i++) {
      const head = lines.slice(0, i).join("\n") + "\n", tail = lines.slice(i).join("\n");
      const a = foldLatest("k", enc.encode(head), undefined);
      const b = foldLatest("k", enc.encode(tail), a.latest);
      assert.deepEqual(b.latest, want, `${JSON.stringify(text)} split at ${i}`);
      assert.equal(a.count + b.count, points.length);
    }
  }
  assert.throws(() => foldLatest("k", enc.encode("1 2 3\n1 abc 3\n"), undefined), MltError);
});

const EXP: Experiment = {
  experimentId: "0",
  name: "Default",
  artifactLocation: "file:///home/u/proj/mlruns/0",
  lifecycleStage: "active",
  creationTime: 1732000000000,
  lastUpdateTime: 1732000000000,
  tags: [{ key: "k", value: "yes" }],
};

Deno.test("experimentToYaml() writes MLflow's bytes", () => {
  assert.equal(
    experimentToYaml(EXP, false),
    "artifact_location: file:///home/u/proj/mlruns/0\ncreation_time: 1732000000000\n" +
      "experiment_id: '0'\nlast_update_time: 1732000000000\nlifecycle_stage: active\n" +
      "name: Default\n",
  );
  assert.ok(experimentToYaml(EXP, true).endsWith("name: Default\ntags:\n  k: 'yes'\n"));
  assert.ok(experimentToYaml({ ...EXP, tags: [] }, true).endsWith("tags: {}\n"));
});

Deno.test("experimentFromMeta() accepts int ids and a missing stage", () => {
  const e = experimentFromMeta({ experiment_id: 7, name: "x", artifact_location: "/a" });
  assert.equal(e.experimentId, "7");
  assert.equal(e.lifecycleStage, "active");
  assert.throws(() => experimentFromMeta({ experiment_id: "1" }));
  assert.throws(() => experimentFromMeta({ experiment_id: "1", name: "x", lifecycle_stage: "z" }));
});

const RUN: RunInfo = {
  runId: "5f2b0c7e6a0b4d0c9a3e1f2a3b4c5d6e",
  experimentId: "0",
  runName: "bold-ant-123",
  userId: "alice",
  status: "RUNNING",
  startTime: 1732000000123,
  artifactUri: "file:///home/u/proj/mlruns/0/5f2b0c7e6a0b4d0c9a3e1f2a3b4c5d6e/artifacts",
  lifecycleStage: "active",
};

Deno.test("runToYaml() writes MLflow's creation bytes", () => {
  assert.equal(
    runToYaml(RUN, null),
    `artifact_uri: ${RUN.artifactUri}
deleted_time: null
end_time: null
entry_point_name: ''
experiment_id: '0'
lifecycle_stage: active
run_id: 5f2b0c7e6a0b4d0c9a3e1f2a3b4c5d6e
run_name: bold-ant-123
source_name: ''
source_type: 4
source_version: ''
start_time: 1732000000123
status: 1
tags: []
user_id: alice
`,
  );
  assert.ok(!runToYaml(RUN, undefined).includes("deleted_time"));
  const done = runToYaml({ ...RUN, status: "KILLED", endTime: 9 }, 5);
  assert.ok(done.includes("status: 5\n") && done.includes("deleted_time: 5\n"));
  assert.ok(done.includes("end_time: 9\n"));
});

Deno.test("runFromMeta() reads pre-3.0 files", () => {
  const info = runFromMeta({
    run_uuid: "abc",
    name: "",
    experiment_id: 3,
    user_id: "u",
    artifact_uri: "/x",
    start_time: 1,
    end_time: null,
  });
  assert.equal(info.runId, "abc");
  assert.equal(info.experimentId, "3");
  assert.equal(info.status, "RUNNING");
  assert.equal(info.lifecycleStage, "active");
  assert.equal(info.runName, undefined);
  assert.equal(info.endTime, undefined);
  assert.equal(runFromMeta({ ...RUN_META, status: 3, deleted_time: 4 }).status, "FINISHED");
  assert.equal(runFromMeta({ ...RUN_META, deleted_time: 4 }).deletedTime, 4);
  assert.throws(() => runFromMeta({ ...RUN_META, status: 9 }));
});

const RUN_META = { run_id: "r", experiment_id: "0", status: 1, lifecycle_stage: "active" };

Deno.test("round trip of meta.yaml is byte-identical", () => {
  for (const text of [runToYaml(RUN, null), experimentToYaml(EXP, false)]) {
    assert.equal(dumpYaml(parseYamlMapping(text)!), text);
  }
});

Deno.test("dumpYaml() quotes what PyYAML would read as another type", () => {
  assert.equal(
    dumpYaml({ a: "yes", b: "0", c: "null", d: "2024-01-01", e: "0.5", f: "on", g: "~" }),
    "a: 'yes'\nb: '0'\nc: 'null'\nd: '2024-01-01'\ne: '0.5'\nf: 'on'\ng: '~'\n",
  );
});

Deno.test("parseYamlMapping() refuses python tags, non-mappings and junk", () => {
  for (const text of ["!!python/object/apply:os.system ['touch /tmp/pwned']", "a: [", "- 1", "3"]) {
    assert.equal(parseYamlMapping(text), undefined, text);
  }
  assert.deepEqual(parseYamlMapping("a: 1\n"), { a: 1 });
});

Deno.test("dataset and input meta round-trip", () => {
  const ds = { name: "d", digest: "123", sourceType: "local", source: '{"uri": "x"}', schema: "s" };
  const text = datasetToYaml(ds);
  assert.ok(text.includes("profile: null\n"));
  assert.deepEqual(datasetFromMeta(parseYamlMapping(text)!), ds);
  const input = {
    sourceId: "a",
    sourceType: "DATASET",
    destinationId: "r",
    destinationType: "RUN",
    tags: [{ key: "mlflow.data.context", value: "training" }],
  };
  const t2 = inputToYaml(input);
  assert.ok(t2.includes("tags:\n  mlflow.data.context: training\n"));
  assert.deepEqual(inputFromMeta(parseYamlMapping(t2)!), input);
});
