import assert from "node:assert/strict";
import type { DatasetInput, Metric, Run, RunInfo, Tag } from "../model.ts";
import { encodeDouble } from "../entity_json.ts";
import {
  decodeRequest,
  encodeMetric,
  encodeRun,
  encodeRunInfo,
  message,
  queryToJson,
} from "./wire.ts";

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

Deno.test("decodeRequest() names nested and listed fields in its errors as MLflow does", () => {
  const docs = " See the API docs for more information about request parameters.";
  const bad = (path: string, shown: string, type: string) =>
    `Invalid value ${shown} for parameter '${path}' supplied:  Hint: Value was of type '${type}'.${docs}`;
  const dataset = { name: "d", digest: "x", source_type: "s", source: "s" };
  const point = { key: "k", value: 1, timestamp: 1, step: 0 };
  const cases: [Parameters<typeof decodeRequest>[0], unknown, string][] = [
    [
      "runs/log-inputs",
      { run_id: "r", datasets: [{ dataset }, { dataset: { name: "d" } }] },
      `Missing value for required parameter 'datasets[1].dataset.digest'.${docs}`,
    ],
    [
      "runs/log-inputs",
      { run_id: "r", datasets: [{ dataset, tags: [{ key: 1 }] }] },
      bad("datasets[0].tags[0].key", "1", "int"),
    ],
    [
      "runs/log-inputs",
      { run_id: "r", datasets: [{ dataset: 3 }] },
      bad("datasets[0].dataset", "3", "int"),
    ],
    ["runs/log-batch", { run_id: "r", metrics: [point, 5] }, bad("metrics[1]", "5", "int")],
    [
      "runs/log-batch",
      { run_id: "r", metrics: [point, { ...point, step: "x" }] },
      bad("metrics[1].step", '"x"', "str"),
    ],
    ["runs/search", { experiment_ids: ["0", 1] }, bad("experiment_ids[1]", "1", "int")],
  ];
  for (const [ep, body, message] of cases) {
    assert.throws(() => decodeRequest(ep, body), { message });
  }
});

Deno.test("decodeRequest() reads int64 numbers exactly, -0 as 0, and refuses those out of range", () => {
  const at = (timestamp: unknown, step: unknown) =>
    decodeRequest("runs/log-metric", { run_id: "r", key: "k", value: 1, timestamp, step });
  const zero = at(-0, -0);
  assert.ok(Object.is(zero.timestamp, 0) && Object.is(zero.step, 0));
  assert.deepEqual([at(2 ** 60, -(2 ** 62)).timestamp, at(1, -(2 ** 62)).step], [
    2 ** 60,
    -(2 ** 62),
  ]);
  assert.equal(at("9223372036854775807", 0).timestamp, 2 ** 63);
  assert.throws(() => at(1, 2 ** 63), /parameter 'step' supplied/);
  assert.throws(() => at(1, 1e300), /parameter 'step' supplied/);
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

// The run encoders as first written: every field set, then the unset ones and empty lists deleted.
const reference = (() => {
  const compact = <T extends Record<string, unknown>>(o: T): T => {
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (v === undefined || (Array.isArray(v) && v.length === 0)) delete o[k];
    }
    return o;
  };
  const tags = (ts: Tag[] | undefined) =>
    ts?.length ? ts.map((t) => ({ key: t.key, value: t.value })) : undefined;
  const info = (i: RunInfo) =>
    compact({
      run_uuid: i.runId,
      experiment_id: i.experimentId,
      run_name: i.runName,
      user_id: i.userId ?? "",
      status: i.status,
      start_time: i.startTime,
      end_time: i.endTime,
      artifact_uri: i.artifactUri,
      lifecycle_stage: i.lifecycleStage,
      run_id: i.runId,
    });
  const metric = (m: Metric, runId?: string) =>
    compact({
      key: m.key,
      value: encodeDouble(m.value),
      timestamp: m.timestamp,
      step: m.step ?? 0,
      dataset_name: m.datasetName || undefined,
      dataset_digest: m.datasetDigest || undefined,
      model_id: m.modelId || undefined,
      run_id: runId ?? (m.runId || undefined),
    });
  const input = (d: DatasetInput) =>
    compact({
      tags: tags(d.tags),
      dataset: compact({
        name: d.dataset.name,
        digest: d.dataset.digest,
        source_type: d.dataset.sourceType,
        source: d.dataset.source,
        schema: d.dataset.schema || undefined,
        profile: d.dataset.profile || undefined,
      }),
    });
  const run = (r: Run) => ({
    info: info(r.info),
    data: compact({
      metrics: r.data.metrics.map((m) => metric(m)),
      params: tags(r.data.params),
      tags: tags(r.data.tags),
    }),
    inputs: compact({ dataset_inputs: (r.inputs?.datasetInputs ?? []).map(input) }),
    outputs: {},
  });
  return { info, metric, run };
})();

const ODD = [
  "",
  '"quoted" \\',
  "\n\t\u0000\u001f\u007f",
  "\u2028\u2029",
  "é\u{1F600}",
  "\ud800x\udfff",
];
const NUMBERS = [
  0,
  -0,
  1.5,
  -2.25e-7,
  1e21,
  5e-324,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 63),
  NaN,
  Infinity,
];

function oddRuns(): Run[] {
  const runs: Run[] = [];
  for (let i = 0; i < ODD.length * 2; i++) {
    const s = ODD[i % ODD.length];
    const n = NUMBERS[i % NUMBERS.length];
    const info: RunInfo = {
      runId: `r${i}${s}`,
      experimentId: s,
      userId: s,
      status: "FAILED",
      artifactUri: s,
      lifecycleStage: i % 2 ? "deleted" : "active",
    };
    if (i % 3 !== 0) info.runName = s;
    if (i % 4 !== 1) info.startTime = n;
    if (i % 5 === 2) info.endTime = -n;
    if (i % 2) info.deletedTime = 7;
    const metrics: Metric[] = NUMBERS.slice(0, i).map((v, j) => ({
      key: ODD[j % ODD.length] + j,
      value: j % 3 ? v : -v,
      timestamp: NUMBERS[(i + j) % NUMBERS.length],
      step: j % 4 ? NUMBERS[j] : undefined as unknown as number,
      ...(j % 5 === 1 ? { datasetName: s, datasetDigest: "d" } : {}),
      ...(j % 5 === 2 ? { datasetName: "", modelId: "m", runId: s } : {}),
      ...(j % 5 === 3 ? { modelId: "", runId: "rr" } : {}),
    }));
    const pairs = ODD.slice(0, i % 4).map((k, j) => ({ key: k, value: ODD[(j + i) % ODD.length] }));
    const inputs: DatasetInput[] = i % 3 === 1 ? [] : [
      {
        tags: i % 2 ? [] : pairs,
        dataset: {
          name: s,
          digest: "d" + i,
          sourceType: "local",
          source: `{"x":"${s}"}`,
          ...(i % 4 === 0 ? { schema: s, profile: "{}" } : {}),
          ...(i % 4 === 2 ? { schema: "{}" } : {}),
        },
      },
    ];
    runs.push({
      info,
      data: { metrics, params: i % 5 === 4 ? [] : pairs, tags: pairs.slice(1) },
      inputs: { datasetInputs: i % 6 === 5 ? inputs.concat(inputs) : inputs },
    });
  }
  // A run from a store that leaves the optional parts out.
  runs.push({
    info: {
      runId: "bare",
      experimentId: "0",
      userId: undefined as unknown as string,
      status: "RUNNING",
      artifactUri: "",
      lifecycleStage: "active",
    },
    data: { metrics: [], params: undefined as unknown as Tag[], tags: [] },
    inputs: undefined as unknown as Run["inputs"],
  });
  return runs;
}

Deno.test("run encoders write the same bytes as the compact() reference", () => {
  const runs = oddRuns();
  for (const r of runs) {
    assert.equal(JSON.stringify(encodeRun(r)), JSON.stringify(reference.run(r)), r.info.runId);
    assert.equal(JSON.stringify(encodeRunInfo(r.info)), JSON.stringify(reference.info(r.info)));
    for (const m of r.data.metrics) {
      for (const runId of [undefined, "", "given"]) {
        assert.equal(
          JSON.stringify(encodeMetric(m, runId)),
          JSON.stringify(reference.metric(m, runId)),
        );
      }
    }
  }
  for (const page of [runs, runs.slice(0, 1), []]) {
    for (const token of [undefined, "", "tok"]) {
      assert.equal(
        JSON.stringify(message({ runs: page.map(encodeRun), next_page_token: token })),
        JSON.stringify(
          message({ runs: page.map(reference.run), next_page_token: token }),
        ),
      );
    }
  }
});
