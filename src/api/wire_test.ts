import assert from "node:assert/strict";
import { decodeRequest, encodeDouble, encodeMetric, encodeRunInfo, queryToJson } from "./wire.ts";

Deno.test("decodeRequest() follows protobuf JSON: int64 strings, enums, special doubles", () => {
  const q = decodeRequest("runs/log-metric", {
    run_uuid: "r1",
    key: "k",
    value: "-Infinity",
    timestamp: "1700000000000",
    step: -2,
  });
  assert.deepEqual(q, {
    runId: "r1",
    key: "k",
    value: -Infinity,
    timestamp: 1700000000000,
    step: -2,
  });
  assert.equal(decodeRequest("runs/update", { run_id: "r", status: 4 }).status, "FAILED");
  assert.equal(decodeRequest("runs/update", { run_id: "r", status: "KILLED" }).status, "KILLED");
  assert.ok(
    Number.isNaN(
      decodeRequest("runs/log-metric", { run_id: "r", key: "k", value: "NaN", timestamp: 0 }).value,
    ),
  );
});

Deno.test("decodeRequest() answers MLflow's messages for missing and ill-typed fields", () => {
  const docs = " See the API docs for more information about request parameters.";
  const cases: [Parameters<typeof decodeRequest>[0], unknown, string][] = [
    ["runs/get", {}, `Missing value for required parameter 'run_id'.${docs}`],
    ["runs/get", { run_id: "" }, `Missing value for required parameter 'run_id'.${docs}`],
    [
      "runs/get",
      { run_id: 31 },
      `Invalid value 31 for parameter 'run_id' supplied:  Hint: Value was of type 'int'.${docs}`,
    ],
    [
      "runs/log-batch",
      { run_id: "r", tags: [{ key: "a" }, {}] },
      `Missing value for required parameter 'tags[1].key'.${docs}`,
    ],
    [
      "runs/log-metric",
      { run_id: "r", key: "k", value: 1, timestamp: 1.5 },
      `Invalid value 1.5 for parameter 'timestamp' supplied:  Hint: Value was of type 'float'.${docs}`,
    ],
    [
      "runs/search",
      { experiment_ids: "0" },
      `Invalid value "0" for parameter 'experiment_ids' supplied:  Hint: Value was of type 'str'.${docs}`,
    ],
  ];
  for (const [ep, body, message] of cases) {
    assert.throws(() => decodeRequest(ep, body), { message });
  }
});

Deno.test("queryToJson() keeps repeated keys as lists for repeated fields only", () => {
  const q = queryToJson(
    "runs/search",
    new URLSearchParams("experiment_ids=1&experiment_ids=2&filter=x&junk=1"),
  );
  assert.deepEqual(q, { experiment_ids: ["1", "2"], filter: "x" });
});

Deno.test("encoders write NaN/±Infinity as strings and omit unset fields", () => {
  assert.deepEqual([NaN, Infinity, -Infinity, 1.5].map(encodeDouble), [
    "NaN",
    "Infinity",
    "-Infinity",
    1.5,
  ]);
  assert.deepEqual(encodeMetric({ key: "k", value: NaN, timestamp: 1, step: 0 }), {
    key: "k",
    value: "NaN",
    timestamp: 1,
    step: 0,
  });
  const info = encodeRunInfo({
    runId: "r",
    experimentId: "0",
    userId: "",
    status: "RUNNING",
    startTime: 5,
    artifactUri: "a",
    lifecycleStage: "active",
  });
  assert.equal("end_time" in info, false);
  assert.equal("run_name" in info, false);
  assert.equal(info.run_uuid, "r");
  assert.equal(info.user_id, "");
});
