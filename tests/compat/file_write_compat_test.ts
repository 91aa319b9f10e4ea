/**
 * File-store interop with the real Python MLflow client, writing: MLflow reads what mlt writes,
 * and mlt writes the same bytes MLflow writes.
 *
 * Needs the venv python (tests/compat/python.ts); a missing one fails the tests.
 */
import assert from "node:assert/strict";
import type { DatasetInput, RunStatus } from "../../src/model.ts";
import type { TrackingStore } from "../../src/store/store.ts";
import { runPython } from "./python.ts";
import {
  assertSameReading,
  datasetInputJson,
  encodeFloat,
  idKey,
  readWithMlflow,
  readWithMlt,
  snapshot,
  T0,
  withStore,
} from "./file_tree.ts";

// ---------------------------------------------------------------------------------------------
// b. MLflow reads what mlt writes
// ---------------------------------------------------------------------------------------------

/** Metric values with the text Python's `str(float)` gives them in a metric file. */
const VALUES: [key: string, value: number, python: string][] = [
  ["nan", NaN, "nan"],
  ["pos_inf", Infinity, "inf"],
  ["neg_inf", -Infinity, "-inf"],
  ["int", 10, "10.0"],
  ["tenth", 0.1, "0.1"],
  ["small", 1e-5, "1e-05"],
  ["e_minus_4", 0.0001, "0.0001"],
  ["e15", 1e15, "1000000000000000.0"],
  ["e16", 1e16, "1e+16"],
  ["e22", 1e22, "1e+22"],
  ["big_int", 123456789, "123456789.0"],
  ["neg_small", -2.5e-7, "-2.5e-07"],
  ["pi", Math.PI, "3.141592653589793"],
  ["huge", 1.7976931348623157e308, "1.7976931348623157e+308"],
  ["denormal", 5e-324, "5e-324"],
  ["neg_zero", -0, "-0.0"],
];

const PARAMS: [string, string][] = [
  ["lr", "0.01"],
  ["empty", ""],
  ["unicode", "日本語 ✓ 🚀"],
  ["multi line", "a\nb\n"],
  ["nested/param", "deep"],
  ["long", "y".repeat(4000)],
];

const TAGS: [string, string][] = [
  ["a/b/c", "nested tag"],
  ["empty", ""],
  ["unicode", "ταγ"],
  ["mlflow.note.content", "# note\ntext"],
];

const DATASET: DatasetInput = {
  tags: [{ key: "mlflow.data.context", value: "training" }, { key: "split", value: "train" }],
  dataset: {
    name: "iris",
    digest: "0123abcd",
    sourceType: "http",
    source: '{"url": "https://example.com/iris.csv"}',
    schema: '{"mlflow_colspec": [{"type": "double", "name": "x", "required": true}]}',
    profile: '{"num_rows": 3, "num_elements": 3}',
  },
};

interface Written {
  expA: string;
  expDeleted: string;
  runs: Record<string, string>; // run name -> id
}

/** The scenario of test b, through mlt's TrackingStore. */
async function writeWithMlt(store: TrackingStore): Promise<Written> {
  const expA = await store.createExperiment("mlt-experiment", undefined, [
    { key: "team", value: "mlt" },
    { key: "nested/exp/tag", value: "yes" },
  ]);
  const expDeleted = await store.createExperiment("mlt-doomed");
  const runs: Record<string, string> = {};
  const create = async (name: string, experimentId: string | undefined, start: number) => {
    const run = await store.createRun({ experimentId, runName: name, startTime: start });
    runs[name] = run.info.runId;
    return run.info.runId;
  };
  const main = await create("main", expA, T0);
  for (const [key, value] of PARAMS) await store.logParam(main, { key, value });
  for (const [key, value] of TAGS) await store.setTag(main, { key, value });
  for (const [i, [key, value]] of VALUES.entries()) {
    await store.logMetric(main, { key, value, timestamp: T0 + 100 + i, step: 0 });
  }
  for (let step = 0; step < 5; step++) {
    await store.logMetric(main, {
      key: "loss/train",
      value: 1 / (step + 1),
      timestamp: T0 + 1000 + step,
      step,
    });
  }
  await store.logBatch(main, {
    params: [{ key: "batch_param", value: "b" }],
    metrics: [
      { key: "batch_metric", value: 1.5, timestamp: T0 + 2000, step: 3 },
      { key: "batch_metric", value: 0.5, timestamp: T0 + 2001, step: 1 },
    ],
    tags: [{ key: "batch.tag", value: "t" }],
  });
  await store.logInputs(main, [DATASET]);
  await store.updateRun({ runId: main, status: "FINISHED", endTime: T0 + 9000 });

  const statuses: [string, RunStatus | "deleted"][] = [
    ["failed", "FAILED"],
    ["killed", "KILLED"],
    ["scheduled", "SCHEDULED"],
    ["running", "RUNNING"],
    ["deleted", "deleted"],
  ];
  for (const [i, [name, status]] of statuses.entries()) {
    const id = await create(name, expA, T0 + 10 * (i + 1));
    await store.logMetric(id, { key: "m", value: i, timestamp: T0 + 3000 + i, step: i });
    if (status === "deleted") await store.deleteRun(id);
    else if (status === "SCHEDULED") await store.updateRun({ runId: id, status });
    else if (status !== "RUNNING") {
      await store.updateRun({ runId: id, status, endTime: T0 + 5000 + i });
    }
  }
  const child = await create("child", expA, T0 + 100);
  await store.setTag(child, { key: "mlflow.parentRunId", value: main });
  await create("in-default", undefined, T0 + 200);
  await store.setExperimentTag("0", { key: "default-tag", value: "on 0" });
  const doomedRun = await create("doomed-run", expDeleted, T0 + 300);
  await store.logParam(doomedRun, { key: "p", value: "v" });
  await store.deleteExperiment(expDeleted);
  return { expA, expDeleted, runs };
}

Deno.test("MLflow 3.17.2 reads the mlruns tree mlt writes", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "mlt-compat-" });
  const root = `${tmp}/mlruns`;
  try {
    const w = await withStore(root, writeWithMlt);
    const got = await readWithMlflow(root);
    const exp = (id: string) => got.experiments.find((e) => e.experiment_id === id);
    const run = (name: string) => got.runs.find((r) => r.run_id === w.runs[name])!;

    // experiments
    assert.deepStrictEqual(
      got.experiments.map((e) => e.experiment_id).sort(idKey),
      [
        "0",
        w.expA,
        w.expDeleted,
      ].sort(idKey),
    );
    assert.equal(exp("0")?.name, "Default");
    assert.deepStrictEqual(exp("0")?.tags, { "default-tag": "on 0" });
    assert.equal(exp(w.expA)?.name, "mlt-experiment");
    assert.deepStrictEqual(exp(w.expA)?.tags, { "nested/exp/tag": "yes", team: "mlt" });
    assert.equal(exp(w.expA)?.lifecycle_stage, "active");
    assert.equal(exp(w.expA)?.artifact_location, `file://${root}/${w.expA}`);
    assert.equal(exp(w.expDeleted)?.lifecycle_stage, "deleted");
    assert.deepStrictEqual(got.search.deleted_experiment_ids, [w.expDeleted]);

    // runs and statuses
    assert.equal(got.runs.length, Object.keys(w.runs).length, "MLflow sees every run");
    const status = Object.fromEntries(got.runs.map((r) => [r.run_name, r.status]));
    assert.deepStrictEqual(status, {
      main: "FINISHED",
      failed: "FAILED",
      killed: "KILLED",
      scheduled: "SCHEDULED",
      running: "RUNNING",
      deleted: "RUNNING",
      child: "RUNNING",
      "in-default": "RUNNING",
      "doomed-run": "RUNNING",
    });
    assert.deepStrictEqual(
      got.search.deleted_run_ids,
      [w.runs["deleted"], w.runs["doomed-run"]].sort(),
    );
    assert.equal(run("in-default").experiment_id, "0");
    assert.equal(run("doomed-run").lifecycle_stage, "deleted");
    assert.equal(run("child").tags["mlflow.parentRunId"], w.runs["main"]);
    assert.equal(run("main").start_time, T0);
    assert.equal(run("main").end_time, T0 + 9000);
    assert.equal(run("failed").end_time, T0 + 5000);
    assert.equal(
      run("main").artifact_uri,
      `file://${root}/${w.expA}/${w.runs["main"]}/artifacts`,
    );

    // params, tags
    const main = run("main");
    assert.deepStrictEqual(
      main.params,
      Object.fromEntries([...PARAMS, ["batch_param", "b"]].sort(([a], [b]) => (a < b ? -1 : 1))),
    );
    for (const [key, value] of [...TAGS, ["batch.tag", "t"]]) {
      assert.equal(main.tags[key], value, `tag ${key}`);
    }
    assert.equal(main.tags["mlflow.runName"], "main");
    assert.equal(run("doomed-run").params["p"], "v");

    // metrics: latest values and histories
    for (const [i, [key, value]] of VALUES.entries()) {
      assert.deepStrictEqual(main.metrics[key], {
        value: encodeFloat(value),
        timestamp: T0 + 100 + i,
        step: 0,
      }, `metric ${key}`);
    }
    assert.deepStrictEqual(
      main.metric_history["loss/train"].map((p) => [p.value, p.step]),
      [[1, 0], [0.5, 1], [1 / 3, 2], [0.25, 3], [0.2, 4]],
    );
    assert.deepStrictEqual(main.metrics["batch_metric"], {
      value: 1.5,
      timestamp: T0 + 2000,
      step: 3,
    }, "latest = highest step, not last written");
    assert.equal(main.metric_history["batch_metric"].length, 2);

    // dataset input
    assert.deepStrictEqual(main.dataset_inputs, [datasetInputJson(DATASET)]);

    // and mlt's own reading of its tree equals MLflow's, field by field
    const mine = await withStore(root, readWithMlt);
    assertSameReading(mine, got, "mlt vs MLflow on an mlt-written tree");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

/** The same logging done by MLflow in its own tree (experiment 0), for byte comparison. */
const PY_LOG_SAME = `
import json, os, sys
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag
spec = json.load(sys.stdin)
c = MlflowClient("file://" + spec["root"])
run = c.create_run("0", start_time=spec["start_time"], run_name=spec["run_name"]).info.run_id
for k, v in spec["params"]:
    c.log_param(run, k, v)
for k, v in spec["tags"]:
    c.set_tag(run, k, v)
for k, v, ts, step in spec["metrics"]:
    c.log_metric(run, k, float(v), timestamp=ts, step=step)
d = spec["dataset"]
c.log_inputs(run, [DatasetInput(
    Dataset(d["name"], d["digest"], d["source_type"], d["source"], d["schema"], d["profile"]),
    [InputTag(k, v) for k, v in spec["input_tags"]])])
c.set_terminated(run, "FINISHED", end_time=spec["end_time"])
info = c.get_run(run).info
print(json.dumps({"run_id": run, "user_id": info.user_id}))
`;

Deno.test("mlt writes run files byte-identical to MLflow 3.17.2's FileStore", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "mlt-compat-" });
  const pyRoot = `${tmp}/py/mlruns`;
  const mltRoot = `${tmp}/mlt/mlruns`;
  try {
    // values go to Python as their Python text (JSON would turn -0 into 0)
    const metrics: [string, number, string, number, number][] = VALUES.map((
      [key, value, text],
      i,
    ) => [key, value, text, T0 + i, i % 3]);
    metrics.push(["loss/train", 0.5, "0.5", T0 + 50, 7], ["loss/train", 0.25, "0.25", T0 + 51, 8]);
    const spec = {
      root: pyRoot,
      run_name: "same-run",
      start_time: T0,
      end_time: T0 + 999,
      params: PARAMS,
      tags: TAGS,
      metrics: metrics.map(([key, , text, ts, step]) => [key, text, ts, step]),
      dataset: datasetInputJson(DATASET).dataset,
      input_tags: DATASET.tags.map((t) => [t.key, t.value]),
    };
    const py = JSON.parse(await runPython(["-c", PY_LOG_SAME], JSON.stringify(spec))) as {
      run_id: string;
      user_id: string;
    };
    const mltRun = await withStore(mltRoot, async (store) => {
      const run = await store.createRun({
        experimentId: "0",
        runName: "same-run",
        startTime: T0,
        userId: py.user_id,
      });
      const id = run.info.runId;
      for (const [key, value] of PARAMS) await store.logParam(id, { key, value });
      for (const [key, value] of TAGS) await store.setTag(id, { key, value });
      for (const [key, value, , timestamp, step] of metrics) {
        await store.logMetric(id, { key, value, timestamp, step });
      }
      await store.logInputs(id, [DATASET]);
      await store.updateRun({ runId: id, status: "FINISHED", endTime: T0 + 999 });
      return id;
    });

    const pyRun = `${pyRoot}/0/${py.run_id}`;
    const mltRunDir = `${mltRoot}/0/${mltRun}`;
    const pySnap = await snapshot(pyRun);
    const mltSnap = await snapshot(mltRunDir);
    // metric, param and tag files: same names, same bytes
    const dataFiles = (s: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(s).filter(([p]) => /^(metrics|params|tags)\//.test(p)),
      );
    const dec = new TextDecoder();
    for (const rel of Object.keys(dataFiles(pySnap))) {
      if (rel.endsWith("/")) continue;
      const want = dec.decode(await Deno.readFile(`${pyRun}/${rel}`));
      let have: string | undefined;
      try {
        have = dec.decode(await Deno.readFile(`${mltRunDir}/${rel}`));
      } catch {
        have = undefined;
      }
      assert.equal(have, want, `${rel}: mlt's bytes differ from MLflow's`);
    }
    assert.deepStrictEqual(
      Object.keys(dataFiles(mltSnap)).sort(),
      Object.keys(dataFiles(pySnap)).sort(),
      "same metric/param/tag files",
    );
    // every directory MLflow creates in a run (3.17 finds a run only if metrics/, params/ and
    // artifacts/ exist)
    const topDirs = (s: Record<string, string>) =>
      Object.keys(s).filter((p) => /^[^/]+\/$/.test(p)).sort();
    assert.deepStrictEqual(topDirs(mltSnap), topDirs(pySnap), "sub-directories of the run dir");

    // run meta.yaml: identical once ids and roots are neutralised
    const neutral = (text: string, root: string, runId: string) =>
      text.replaceAll(`file://${root}`, "ROOT").replaceAll(runId, "RUN_ID");
    assert.equal(
      neutral(await Deno.readTextFile(`${mltRunDir}/meta.yaml`), mltRoot, mltRun),
      neutral(await Deno.readTextFile(`${pyRun}/meta.yaml`), pyRoot, py.run_id),
      "run meta.yaml",
    );

    // dataset record (same name+digest => same directory name) and input edge
    const datasetsOf = async (root: string) => Object.keys(await snapshot(`${root}/0/datasets`));
    const pyDatasets = await datasetsOf(pyRoot);
    assert.deepStrictEqual(await datasetsOf(mltRoot), pyDatasets, "datasets/ entries");
    for (const rel of pyDatasets.filter((p) => !p.endsWith("/"))) {
      assert.equal(
        await Deno.readTextFile(`${mltRoot}/0/datasets/${rel}`),
        await Deno.readTextFile(`${pyRoot}/0/datasets/${rel}`),
        `datasets/${rel}`,
      );
    }
    const inputMeta = async (runDir: string) => {
      const files = Object.keys(await snapshot(`${runDir}/inputs`)).filter((p) =>
        p.endsWith("/meta.yaml")
      );
      assert.equal(files.length, 1, `one input in ${runDir}`);
      return await Deno.readTextFile(`${runDir}/inputs/${files[0]}`);
    };
    // Quirk C6: MLflow writes the dataset id as destination_id; mlt may write the run id
    // instead (nothing reads the field). Everything else must be the same bytes.
    const mltInput = await inputMeta(mltRunDir);
    const pyInput = await inputMeta(pyRun);
    const sourceId = /^source_id: (.*)$/m.exec(pyInput)?.[1];
    const destId = /^destination_id: (.*)$/m.exec(mltInput)?.[1];
    assert.ok(sourceId && destId, "input meta has source_id and destination_id");
    assert.ok(
      destId === sourceId || destId === mltRun,
      `destination_id ${destId} is neither the dataset id nor the run id`,
    );
    const noDest = (t: string) => t.replace(/^destination_id: .*$/m, "destination_id: X");
    assert.equal(noDest(mltInput), noDest(pyInput), "inputs/<id>/meta.yaml");
    // the input's directory name is md5(dataset_id + run_id), so it differs; its count does not
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
