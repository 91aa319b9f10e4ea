import assert from "node:assert/strict";
import { encodeDouble, encodeMetricFields } from "../../entity_json.ts";
import { experimentFromWire, metricFromWire, runFromWire, ShapeError } from "./rest_wire.ts";

Deno.test("encodeDouble() and metricFromWire() round-trip NaN, ±Infinity and numbers", () => {
  const table: [number, number | string][] = [
    [NaN, "NaN"],
    [Infinity, "Infinity"],
    [-Infinity, "-Infinity"],
    [0.5, 0.5],
    [-0, -0],
  ];
  for (const [v, wire] of table) {
    assert.ok(Object.is(encodeDouble(v), wire), String(v));
    const back = metricFromWire({ key: "m", value: wire, timestamp: "12", step: 3 });
    assert.ok(Object.is(back.value, v), String(v));
    assert.deepEqual([back.timestamp, back.step], [12, 3]);
  }
  assert.deepEqual(
    encodeMetricFields({ key: "k", value: 1, timestamp: 2, step: 0, datasetName: "d" }),
    {
      key: "k",
      value: 1,
      timestamp: 2,
      step: 0,
      dataset_name: "d",
    },
  );
});

Deno.test("runFromWire() reads MLflow's run JSON, old run_uuid and omitted fields included", () => {
  const run = runFromWire({
    info: {
      run_uuid: "abc",
      experiment_id: 1,
      status: 3,
      start_time: "5",
      end_time: 0,
      artifact_uri: "mlflow-artifacts:/1/abc/artifacts",
      lifecycle_stage: "active",
    },
    data: { params: [{ key: "p" }], tags: [{ key: "t", value: "v" }] },
  });
  assert.deepEqual(run, {
    info: {
      runId: "abc",
      experimentId: "1",
      userId: "",
      status: "FINISHED",
      startTime: 5,
      artifactUri: "mlflow-artifacts:/1/abc/artifacts",
      lifecycleStage: "active",
    },
    data: { metrics: [], params: [{ key: "p", value: "" }], tags: [{ key: "t", value: "v" }] },
    inputs: { datasetInputs: [], modelInputs: [] },
    outputs: { modelOutputs: [] },
  });
  const exp = experimentFromWire({ experiment_id: "7", name: "e", creation_time: 1 });
  assert.deepEqual(exp, {
    experimentId: "7",
    name: "e",
    artifactLocation: "",
    lifecycleStage: "active",
    creationTime: 1,
    tags: [],
  });
});

Deno.test("the wire decoders refuse JSON without MLflow's shape", () => {
  const bad: [() => unknown, RegExp][] = [
    [() => runFromWire(undefined), /no object "run"/],
    [() => runFromWire({ info: {} }), /no string "run_info.run_id"/],
    [() => runFromWire({ info: { run_id: "a", experiment_id: "1", status: "WEIRD" } }), /status/],
    [() => experimentFromWire({ experiment_id: "1", name: "e", tags: "x" }), /not a list/],
    [() => metricFromWire({ key: "m", value: "high" }), /no number "metric.value"/],
  ];
  for (const [fn, msg] of bad) {
    assert.throws(fn, (e: unknown) => e instanceof ShapeError && msg.test(e.message));
  }
});
