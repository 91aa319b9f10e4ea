/**
 * File-store interop with the real Python MLflow client, both ways: MLflow logs into an
 * mlt-created run, mlt reads it, and back.
 *
 * Needs the venv python (tests/compat/python.ts); a missing one fails the tests.
 */
import assert from "node:assert/strict";
import { runPython } from "./python.ts";
import {
  allRuns,
  assertSameReading,
  datasetInputJson,
  history,
  point,
  readWithMlflow,
  readWithMlt,
  record,
  T0,
  withStore,
} from "./file_tree.ts";

// ---------------------------------------------------------------------------------------------
// c. Round trip
// ---------------------------------------------------------------------------------------------

const PY_LOG_INTO = `
import json, sys
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag
spec = json.load(sys.stdin)
c = MlflowClient("file://" + spec["root"])
run = spec["run_id"]
T0 = spec["t0"]
c.log_param(run, "from_python", "ja ✓")
c.log_metric(run, "loss", float("nan"), timestamp=T0 + 10, step=1)
c.log_metric(run, "loss", 0.25, timestamp=T0 + 20, step=2)
c.log_metric(run, "acc", 0.5, timestamp=T0 + 30, step=2, dataset_name="val", dataset_digest="f00d")
c.set_tag(run, "x/y", "z")
c.log_inputs(run, [DatasetInput(Dataset("val", "f00d", "local", '{"uri": "/data/val"}'),
                                [InputTag("mlflow.data.context", "eval")])])
c.set_terminated(run, "FAILED", end_time=T0 + 999)
child = c.create_run(spec["experiment_id"], start_time=T0 + 5, run_name="py-child",
                     tags={"mlflow.parentRunId": run}).info.run_id
c.log_metric(child, "loss", 1.0, timestamp=T0 + 40, step=0)
print(json.dumps({"child": child}))
`;

Deno.test("MLflow 3.17.2 logs into an mlt-created run and mlt reads it back", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "mlt-compat-" });
  const root = `${tmp}/mlruns`;
  try {
    const { expId, runId } = await withStore(root, async (store) => {
      const expId = await store.createExperiment("roundtrip", undefined, [
        { key: "k", value: "v" },
      ]);
      const run = await store.createRun({ experimentId: expId, runName: "rt", startTime: T0 });
      await store.logParam(run.info.runId, { key: "from_mlt", value: "1" });
      await store.logMetric(run.info.runId, { key: "loss", value: 2, timestamp: T0, step: 0 });
      return { expId, runId: run.info.runId };
    });

    const spec = { root, run_id: runId, experiment_id: expId, t0: T0 };
    const { child } = JSON.parse(
      await runPython(["-c", PY_LOG_INTO], JSON.stringify(spec)),
    ) as { child: string };

    await withStore(root, async (store) => {
      const run = await store.getRun(runId);
      assert.equal(run.info.status, "FAILED");
      assert.equal(run.info.endTime, T0 + 999);
      assert.equal(run.info.runName, "rt");
      assert.equal(run.info.lifecycleStage, "active");
      assert.deepStrictEqual(record(run.data.params), { from_mlt: "1", from_python: "ja ✓" });
      assert.equal(record(run.data.tags)["x/y"], "z");
      const loss = run.data.metrics.find((m) => m.key === "loss");
      assert.deepStrictEqual(loss && point(loss), { value: 0.25, timestamp: T0 + 20, step: 2 });
      const hist = await history(store, runId, "loss");
      assert.deepStrictEqual(hist.map(point), [
        { value: 2, timestamp: T0, step: 0 },
        { value: "NaN", timestamp: T0 + 10, step: 1 },
        { value: 0.25, timestamp: T0 + 20, step: 2 },
      ]);
      const acc = await history(store, runId, "acc");
      assert.equal(acc.length, 1);
      assert.equal(acc[0].value, 0.5);
      assert.equal(acc[0].datasetName, "val");
      assert.equal(acc[0].datasetDigest, "f00d");
      assert.deepStrictEqual(run.inputs.datasetInputs.map(datasetInputJson), [{
        tags: { "mlflow.data.context": "eval" },
        dataset: {
          name: "val",
          digest: "f00d",
          source_type: "local",
          source: '{"uri": "/data/val"}',
          schema: null,
          profile: null,
        },
      }]);
      const runs = await allRuns(store, [expId], "ACTIVE_ONLY");
      assert.deepStrictEqual(runs.map((r) => r.info.runId).sort(), [runId, child].sort());
      const c = await store.getRun(child);
      assert.equal(c.info.runName, "py-child");
      assert.equal(record(c.data.tags)["mlflow.parentRunId"], runId);

      // and back: mlt appends, MLflow reads the whole history
      await store.logMetric(runId, { key: "loss", value: Infinity, timestamp: T0 + 50, step: 3 });
    });

    const got = await readWithMlflow(root);
    const r = got.runs.find((x) => x.run_id === runId);
    assert.ok(r);
    assert.deepStrictEqual(r.metric_history["loss"].map((p) => p.value), [
      2,
      "NaN",
      0.25,
      "Infinity",
    ]);
    assert.deepStrictEqual(r.metrics["loss"], {
      value: "Infinity",
      timestamp: T0 + 50,
      step: 3,
    });
    assert.equal(r.status, "FAILED");
    // full agreement between both readers on the mixed tree
    assertSameReading(await withStore(root, readWithMlt), got, "round-trip tree");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
