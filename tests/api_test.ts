/** The tracking REST API through `app.request()`: every endpoint, the wire format, errors, security. */
import assert from "node:assert/strict";
import { newRun, testApp } from "./helpers/api.ts";

const DOCS = " See the API docs for more information about request parameters.";

Deno.test("experiments: create, get, get-by-name, update, tags, delete, restore", async () => {
  const t = await testApp();
  try {
    const c = await t.call("experiments/create", { name: "e1", tags: [{ key: "a", value: "1" }] });
    assert.equal(c.status, 200);
    const id = c.json.experiment_id as string;
    assert.equal(typeof id, "string");
    const g = await (await t.get("experiments/get", { experiment_id: id })).json();
    assert.equal(g.experiment.name, "e1");
    assert.equal(g.experiment.artifact_location, `mlflow-artifacts:/${id}`);
    assert.equal(g.experiment.lifecycle_stage, "active");
    assert.equal(typeof g.experiment.creation_time, "number");
    assert.deepEqual(g.experiment.tags, [{ key: "a", value: "1" }]);
    const byName = await t.get("experiments/get-by-name", { experiment_name: "e1" });
    assert.equal((await byName.json()).experiment.experiment_id, id);

    assert.deepEqual(
      (await t.call("experiments/update", { experiment_id: id, new_name: "e2" })).json,
      {},
    );
    await t.call("experiments/set-experiment-tag", { experiment_id: id, key: "b", value: "2" });
    await t.call("experiments/delete-experiment-tag", { experiment_id: id, key: "a" });
    const g2 = await (await t.get("experiments/get", { experiment_id: id })).json();
    assert.equal(g2.experiment.name, "e2");
    assert.deepEqual(g2.experiment.tags, [{ key: "b", value: "2" }]);

    await t.call("experiments/delete", { experiment_id: id });
    const deleted = await t.call("experiments/search", { view_type: "DELETED_ONLY" });
    assert.deepEqual((deleted.json.experiments as { name: string }[]).map((e) => e.name), ["e2"]);
    await t.call("experiments/restore", { experiment_id: id });
    // view_type as the enum's number, through the ajax prefix
    const res = await t.post("/ajax-api/2.0/mlflow/experiments/search", {
      view_type: 1,
      max_results: "10",
    });
    const names = ((await res.json()).experiments as { name: string }[]).map((e) => e.name).sort();
    assert.deepEqual(names, ["Default", "e2"]);
  } finally {
    await t.close();
  }
});

Deno.test("experiments: MLflow's 400/404 answers", async () => {
  const t = await testApp();
  try {
    const cases: [string, unknown, number, string, string][] = [
      [
        "experiments/create",
        {},
        400,
        "INVALID_PARAMETER_VALUE",
        `Missing value for required parameter 'name'.${DOCS}`,
      ],
      [
        "experiments/create",
        { name: "" },
        400,
        "INVALID_PARAMETER_VALUE",
        `Missing value for required parameter 'name'.${DOCS}`,
      ],
      [
        "experiments/create",
        { name: 31 },
        400,
        "INVALID_PARAMETER_VALUE",
        `Invalid value 31 for parameter 'name' supplied:  Hint: Value was of type 'int'.${DOCS}`,
      ],
      [
        "experiments/create",
        { name: "x", tags: [{ value: "v" }] },
        400,
        "INVALID_PARAMETER_VALUE",
        `Missing value for required parameter 'tags[0].key'.${DOCS}`,
      ],
      ["experiments/search", { max_results: 0 }, 400, "INVALID_PARAMETER_VALUE", ""],
      ["experiments/search", { max_results: 50001 }, 400, "INVALID_PARAMETER_VALUE", ""],
      ["experiments/search", { max_results: "ten" }, 400, "INVALID_PARAMETER_VALUE", ""],
      ["experiments/search", { page_token: "!!!" }, 400, "INVALID_PARAMETER_VALUE", ""],
      [
        "experiments/search",
        { filter: "name = 'a' OR name = 'b'" },
        400,
        "INVALID_PARAMETER_VALUE",
        "",
      ],
      ["experiments/search", { view_type: "SOME" }, 400, "INVALID_PARAMETER_VALUE", ""],
      ["experiments/delete", { experiment_id: "../0" }, 400, "INVALID_PARAMETER_VALUE", ""],
      ["experiments/delete", { experiment_id: "12345" }, 404, "RESOURCE_DOES_NOT_EXIST", ""],
    ];
    for (const [path, body, status, code, message] of cases) {
      const r = await t.call(path, body);
      assert.equal(r.status, status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error_code, code);
      if (message) assert.equal(r.json.message, message);
    }
    const missing = await t.get("experiments/get-by-name", { experiment_name: "nope" });
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), {
      error_code: "RESOURCE_DOES_NOT_EXIST",
      message: "Could not find experiment with name 'nope'",
      sqlstate: "KAM00",
      error_class: "RESOURCE_NOT_FOUND",
    });
    await t.call("experiments/create", { name: "dup" });
    const dup = await t.call("experiments/create", { name: "dup" });
    assert.equal(dup.status, 400);
    assert.equal(dup.json.error_code, "RESOURCE_ALREADY_EXISTS");
    // Omitted max_results means 1000 (MLflow itself answers 400).
    assert.equal((await t.call("experiments/search", {})).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("experiments/create refuses stored-pointer tricks in artifact_location", async () => {
  const t = await testApp();
  try {
    const bad = [
      "http:///#/../../etc/",
      "http://h/;../../etc",
      "http://h/x?../../etc",
      "file:///etc",
      "//proc/self/root",
      "file://otherhost/x",
      "/etc",
      `${t.dir}/mlruns/../../etc`,
      "runs:/abc/x",
      "mlflow-artifacts:/../x",
      "x".repeat(2049),
    ];
    for (const loc of bad) {
      const r = await t.call("experiments/create", {
        name: `n${bad.indexOf(loc)}`,
        artifact_location: loc,
      });
      assert.equal(r.status, 400, loc);
      assert.equal(r.json.error_code, "INVALID_PARAMETER_VALUE");
      assert.ok(!JSON.stringify(r.json).includes(t.dir), "no host path in the message");
    }
    const names = await t.call("experiments/search", {});
    assert.deepEqual(
      (names.json.experiments as { name: string }[]).map((e) => e.name),
      ["Default"],
      "nothing was created (Default exists from the store's first open, as in MLflow)",
    );
    const ok = await t.call("experiments/create", {
      name: "ok",
      artifact_location: `${t.dir}/local/a`,
    });
    assert.equal(ok.status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("runs: create, log, get, update, search, delete, restore — wire format", async () => {
  const t = await testApp();
  try {
    const { expId } = await newRun(t, "runs");
    const c = await t.call("runs/create", {
      experiment_id: expId,
      start_time: "1700000000000",
      run_name: "r1",
      tags: [{ key: "t", value: "v" }],
    });
    assert.equal(c.status, 200);
    // deno-lint-ignore no-explicit-any
    const info = (c.json.run as any).info;
    const runId = info.run_id as string;
    assert.equal(info.run_uuid, runId);
    assert.equal(info.start_time, 1700000000000);
    assert.equal(info.status, "RUNNING");
    assert.equal(info.end_time, undefined);
    assert.equal(info.artifact_uri, `mlflow-artifacts:/${expId}/${runId}/artifacts`);

    const ok = async (path: string, body: unknown) => {
      const r = await t.call(path, body);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
      return r.json;
    };
    assert.deepEqual(
      await ok("runs/log-metric", { run_id: runId, key: "nan", value: "NaN", timestamp: 1 }),
      {},
    );
    await ok("runs/log-metric", {
      run_uuid: runId,
      key: "inf",
      value: "Infinity",
      timestamp: "2",
      step: "5",
    });
    await ok("runs/log-metric", {
      run_id: runId,
      key: "ninf",
      value: "-Infinity",
      timestamp: 3,
      step: -1,
    });
    await ok("runs/log-parameter", { run_id: runId, key: "p", value: "" });
    await ok("runs/set-tag", { run_id: runId, key: "gone", value: "x" });
    await ok("runs/delete-tag", { run_id: runId, key: "gone" });
    await ok("runs/log-batch", {
      run_id: runId,
      metrics: [{ key: "m", value: 1.5, timestamp: 10, step: 1 }, {
        key: "m",
        value: 2.5,
        timestamp: 11,
        step: 2,
      }],
      params: [{ key: "q", value: "1" }],
      tags: [{ key: "bt", value: "y" }],
    });
    await ok("runs/log-inputs", {
      run_id: runId,
      datasets: [{
        tags: [{ key: "mlflow.data.context", value: "train" }],
        dataset: { name: "d", digest: "abc", source_type: "local", source: "{}" },
      }],
    });
    const got = await (await t.get("runs/get", { run_uuid: runId })).json();
    const metrics = Object.fromEntries(
      (got.run.data.metrics as { key: string; value: unknown }[]).map((m) => [m.key, m.value]),
    );
    assert.deepEqual(metrics, { nan: "NaN", inf: "Infinity", ninf: "-Infinity", m: 2.5 });
    assert.deepEqual(
      got.run.data.params.sort((a: { key: string }, b: { key: string }) => a.key < b.key ? -1 : 1),
      [
        { key: "p", value: "" },
        { key: "q", value: "1" },
      ],
    );
    const tags = got.run.data.tags.map((x: { key: string }) => x.key);
    assert.ok(tags.includes("bt") && tags.includes("t") && !tags.includes("gone"));
    assert.equal(got.run.inputs.dataset_inputs[0].dataset.source_type, "local");

    const upd = await ok("runs/update", {
      run_id: runId,
      status: 3,
      end_time: 5000,
      run_name: "r2",
    });
    // deno-lint-ignore no-explicit-any
    const ri = (upd as any).run_info;
    assert.equal(ri.status, "FINISHED");
    assert.equal(ri.end_time, 5000);
    assert.equal(ri.run_name, "r2");

    const search = await t.get("runs/search", {
      experiment_ids: [expId, "0"],
      filter: "metrics.m > 2",
      order_by: ["attributes.start_time DESC"],
    });
    const hits = (await search.json()).runs.map((r: { info: { run_id: string } }) => r.info.run_id);
    assert.deepEqual(hits, [runId]);
    const page1 = await ok("runs/search", { experiment_ids: [expId], max_results: 1 });
    assert.equal((page1.runs as unknown[]).length, 1);
    const page2 = await ok("runs/search", {
      experiment_ids: [expId],
      max_results: 1,
      page_token: page1.next_page_token,
    });
    assert.equal((page2.runs as unknown[]).length, 1);
    assert.equal(page2.next_page_token, undefined);

    await ok("runs/delete", { run_id: runId });
    assert.deepEqual(
      await ok("runs/search", { experiment_ids: [expId], filter: "attributes.run_name = 'r2'" }),
      {},
    );
    await ok("runs/restore", { run_id: runId });
    const back = await ok("runs/search", {
      experiment_ids: [expId],
      filter: "attributes.run_name = 'r2'",
    });
    assert.equal((back.runs as unknown[]).length, 1);
  } finally {
    await t.close();
  }
});

Deno.test("runs: client mistakes are 4xx with MLflow's messages", async () => {
  const t = await testApp();
  try {
    const { runId } = await newRun(t);
    const cases: [string, unknown, number, string?][] = [
      [
        "runs/log-metric",
        { run_id: 31, key: "a", value: 1, timestamp: 1 },
        400,
        `Invalid value 31 for parameter 'run_id' supplied:  Hint: Value was of type 'int'.${DOCS}`,
      ],
      [
        "runs/log-metric",
        { run_id: runId, key: "a", value: 1 },
        400,
        `Missing value for required parameter 'timestamp'.${DOCS}`,
      ],
      ["runs/log-metric", { run_id: runId, key: "a", value: "abc", timestamp: 1 }, 400],
      ["runs/log-metric", { run_id: runId, key: "a", value: true, timestamp: 1 }, 400],
      ["runs/log-metric", { run_id: runId, key: "a", value: 1, timestamp: -1 }, 400],
      ["runs/log-metric", { run_id: runId, key: "a", value: 1, timestamp: 1, step: 1.5 }, 400],
      [
        "runs/log-metric",
        { run_id: runId, key: "a", value: 1, timestamp: "99999999999999999999" },
        400,
      ],
      ["runs/log-metric", { run_id: runId, key: "../meta", value: 1, timestamp: 1 }, 400],
      [
        "runs/log-batch",
        { run_id: runId, metrics: [{ key: "k", value: 1 }] },
        400,
        `Missing value for required parameter 'metrics[0].timestamp'.${DOCS}`,
      ],
      [
        "runs/log-batch",
        { run_id: runId, params: [{ value: "v" }] },
        400,
        `Missing value for required parameter 'params[0].key'.${DOCS}`,
      ],
      ["runs/log-batch", {
        run_id: runId,
        params: Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: "v" })),
      }, 400],
      ["runs/log-batch", {
        run_id: runId,
        params: [{ key: "d", value: "1" }, { key: "d", value: "2" }],
      }, 400],
      ["runs/log-parameter", { run_id: "../../x", key: "a", value: "1" }, 400],
      ["runs/log-parameter", { run_id: "a/b", key: "a", value: "1" }, 400],
      ["runs/log-parameter", { run_id: "x".repeat(257), key: "a", value: "1" }, 400],
      ["runs/update", { run_id: runId, status: "DONE" }, 400],
      ["runs/search", { experiment_ids: ["0"], max_results: 50001 }, 400],
      ["runs/search", { experiment_ids: ["0"], filter: "params.a = 'x' OR 1=1" }, 400],
      ["runs/delete-tag", { run_id: runId, key: "absent" }, 404],
      ["runs/delete", { run_id: "0".repeat(32) }, 404],
      ["runs/log-model", { run_id: runId, model_json: "{" }, 400],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await t.call(path, body);
      assert.equal(
        r.status,
        status,
        `${path} ${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(r.json)}`,
      );
      assert.equal(typeof r.json.error_code, "string");
      if (message) assert.equal(r.json.message, message);
    }
    await t.call("runs/log-parameter", { run_id: runId, key: "fixed", value: "1" });
    const conflict = await t.call("runs/log-parameter", {
      run_id: runId,
      key: "fixed",
      value: "2",
    });
    assert.equal(conflict.status, 400);
    assert.equal(
      (await t.call("runs/log-parameter", { run_id: runId, key: "fixed", value: "1" })).status,
      200,
    );
    const got = await (await t.get("runs/get", { run_id: runId })).json();
    assert.equal(got.run.data.params.find((p: { key: string }) => p.key === "fixed").value, "1");
    assert.equal(got.run.data.params.length, 1, "nothing of the refused batches was written");
  } finally {
    await t.close();
  }
});

Deno.test("request bodies: malformed, non-object, deeply nested, double-encoded", async () => {
  const t = await testApp();
  try {
    for (const body of ["{", "[1,2]", "42", "[".repeat(10000) + "]".repeat(10000)]) {
      const r = await t.post("experiments/create", body);
      assert.equal(r.status, 400, body.slice(0, 20));
      assert.equal((await r.json()).error_code, "INVALID_PARAMETER_VALUE");
    }
    const twice = await t.post(
      "experiments/create",
      JSON.stringify(JSON.stringify({ name: "old-client" })),
    );
    assert.equal(twice.status, 200);
    assert.equal(typeof (await twice.json()).experiment_id, "string");
  } finally {
    await t.close();
  }
});

Deno.test("metrics/get-history pages and get-history-bulk-interval samples", async () => {
  const t = await testApp();
  try {
    const { runId } = await newRun(t);
    const metrics = Array.from(
      { length: 10 },
      (_, i) => ({ key: "m", value: i, timestamp: 100 + i, step: i }),
    );
    await t.call("runs/log-batch", { run_id: runId, metrics });
    const all = await (await t.get("metrics/get-history", { run_id: runId, metric_key: "m" }))
      .json();
    assert.equal(all.metrics.length, 10);
    assert.equal(all.next_page_token, undefined);
    const p1 = await (await t.get("metrics/get-history", {
      run_id: runId,
      metric_key: "m",
      max_results: "4",
    })).json();
    assert.deepEqual(p1.metrics.map((m: { step: number }) => m.step), [0, 1, 2, 3]);
    const p2 = await (await t.get("metrics/get-history", {
      run_id: runId,
      metric_key: "m",
      max_results: "4",
      page_token: p1.next_page_token,
    })).json();
    assert.deepEqual(p2.metrics.map((m: { step: number }) => m.step), [4, 5, 6, 7]);
    assert.deepEqual(
      await (await t.get("metrics/get-history", { run_id: runId, metric_key: "none" })).json(),
      {},
    );
    assert.equal(
      (await t.get("metrics/get-history", { run_id: runId, metric_key: "m", max_results: "0" }))
        .status,
      400,
    );

    const bulk = await t.get("metrics/get-history-bulk-interval", {
      run_ids: [runId],
      metric_key: "m",
      max_results: "3",
    });
    const steps = (await bulk.json()).metrics.map((m: { step: number; run_id: string }) => m.step);
    assert.ok(steps.includes(0) && steps.includes(9), `min and max kept: ${steps}`);
    assert.ok(steps.length <= 5);
    const ranged = await t.get("metrics/get-history-bulk-interval", {
      run_ids: [runId],
      metric_key: "m",
      start_step: "2",
      end_step: "4",
    });
    assert.deepEqual((await ranged.json()).metrics.map((m: { step: number }) => m.step), [2, 3, 4]);
    const invalid: Record<string, string | string[]>[] = [
      { run_ids: [runId], metric_key: "m", start_step: "2" },
      { run_ids: [runId], metric_key: "m", start_step: "5", end_step: "1" },
      { run_ids: [runId], metric_key: "m", max_results: "2501" },
      { run_ids: Array.from({ length: 101 }, () => runId), metric_key: "m" },
      { metric_key: "m" },
    ];
    for (const params of invalid) {
      const r = await t.get("metrics/get-history-bulk-interval", params);
      assert.equal(r.status, 400, JSON.stringify(params).slice(0, 80));
      await r.body?.cancel();
    }
    const legacy = await t.get(
      "/ajax-api/2.0/mlflow/metrics/get-history-bulk?" + new URLSearchParams([
        ["run_id", runId],
        ["metric_key", "m"],
        ["max_results", "3"],
      ]),
    );
    const lj = await legacy.json();
    assert.equal(lj.metrics.length, 3);
    assert.equal(lj.metrics[0].run_id, runId);
  } finally {
    await t.close();
  }
});

Deno.test("runs/outputs checks the run and stores nothing (mlt has no logged models)", async () => {
  const t = await testApp();
  try {
    const { runId } = await newRun(t);
    const models = [{ model_id: "m-1", step: 3 }];
    assert.deepEqual((await t.call("runs/outputs", { run_id: runId, models })).json, {});
    assert.equal((await t.call("runs/outputs", { run_id: runId, models: [] })).status, 200);
    const cases: [unknown, number, string?][] = [
      [{ run_id: runId }, 400, `Missing value for required parameter 'models'.${DOCS}`],
      [{ run_id: runId, models: [{ step: 1 }] }, 400],
      [{ run_id: runId, models: {} }, 400],
      [{ models }, 400],
      [{ run_id: "0".repeat(32), models }, 404],
    ];
    for (const [body, status, message] of cases) {
      const r = await t.call("runs/outputs", body);
      assert.equal(r.status, status, JSON.stringify(body));
      if (message) assert.equal(r.json.message, message);
    }
    await t.call("runs/delete", { run_id: runId });
    const deleted = await t.call("runs/outputs", { run_id: runId, models });
    assert.equal(deleted.status, 400);
    assert.match(deleted.json.message as string, /must be in the 'active' state/);
  } finally {
    await t.close();
  }
});

Deno.test("experiments/search-datasets (ajax-api) summarises the datasets of runs' inputs", async () => {
  const t = await testApp();
  try {
    const { expId, runId } = await newRun(t, "data");
    const other = await newRun(t, "other");
    const dataset = (name: string, digest: string) => ({
      name,
      digest,
      source_type: "local",
      source: "{}",
    });
    const input = (name: string, digest: string, context?: string) => ({
      dataset: dataset(name, digest),
      ...(context ? { tags: [{ key: "mlflow.data.context", value: context }] } : {}),
    });
    await t.call("runs/log-inputs", {
      run_id: runId,
      datasets: [input("train", "d1", "training"), input("eval", "d2")],
    });
    const second = await t.call("runs/create", { experiment_id: expId });
    // deno-lint-ignore no-explicit-any
    const secondId = (second.json.run as any).info.run_id;
    await t.call("runs/log-inputs", {
      run_id: secondId,
      datasets: [input("train", "d1", "training")],
    });
    await t.call("runs/delete", { run_id: secondId });
    await t.call("runs/log-inputs", { run_id: other.runId, datasets: [input("o", "d3", "test")] });
    const url = "/ajax-api/2.0/mlflow/experiments/search-datasets";
    const res = await t.post(url, { experiment_ids: [expId, other.expId, "424242"] });
    assert.equal(res.status, 200);
    const key = (s: { name: string }) => s.name;
    const got = (await res.json()).dataset_summaries.sort((
      a: { name: string },
      b: { name: string },
    ) => key(a) < key(b) ? -1 : 1);
    assert.deepEqual(got, [
      { experiment_id: expId, name: "eval", digest: "d2" },
      { experiment_id: other.expId, name: "o", digest: "d3", context: "test" },
      { experiment_id: expId, name: "train", digest: "d1", context: "training" },
    ]);
    assert.deepEqual(await (await t.post(url, { experiment_ids: ["0"] })).json(), {});
    const bad: [unknown, string][] = [
      [{}, "SearchDatasets request must specify at least one experiment_id."],
      [{ experiment_ids: [] }, "SearchDatasets request must specify at least one experiment_id."],
      [
        { experiment_ids: Array.from({ length: 21 }, (_, i) => String(i)) },
        "SearchDatasets request cannot specify more than 20 experiment_ids. Received 21 experiment_ids.",
      ],
      [{ experiment_ids: "1" }, ""],
      [{ experiment_ids: ["../1"] }, ""],
    ];
    for (const [body, message] of bad) {
      const r = await t.post(url, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      const j = await r.json();
      assert.equal(j.error_code, "INVALID_PARAMETER_VALUE");
      if (message) assert.equal(j.message, message);
    }
    // Only under the ajax prefix, as in MLflow.
    const api = await t.post("experiments/search-datasets", { experiment_ids: [expId] });
    assert.equal(api.status, 404);
    await api.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("upload-artifact (ajax-api): the UI's raw upload into the run's artifact root", async () => {
  const t = await testApp({ maxArtifactBytes: 50 });
  try {
    const { expId, runId } = await newRun(t);
    const upload = (query: string, body: BodyInit | null, headers: Record<string, string> = {}) =>
      t.app.request(`/ajax-api/2.0/mlflow/upload-artifact?${query}`, {
        method: "POST",
        body,
        headers: { "content-type": "text/plain", ...headers },
      });
    const ok = await upload(`run_uuid=${runId}&path=dir/notes.txt`, "uploaded");
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.deepEqual(await ok.json(), {});
    assert.equal(
      await Deno.readTextFile(`${t.artifacts}/${expId}/${runId}/artifacts/dir/notes.txt`),
      "uploaded",
    );
    const cases: [string, BodyInit | null, number, string][] = [
      [`path=a.txt`, "x", 400, "Request must specify run_uuid."],
      [`run_uuid=${runId}`, "x", 400, "Request must specify path."],
      [`run_uuid=${runId}&path=a.txt`, "", 400, "Request must specify data."],
      [`run_uuid=${runId}&path=a.txt`, null, 400, "Request must specify data."],
      [`run_uuid=${runId}&path=..%2Fescape.txt`, "x", 400, "Invalid path"],
      [`run_uuid=${runId}&path=%2Fetc%2Fpasswd`, "x", 400, "Invalid path"],
      [`run_uuid=${runId}&path=big.bin`, "x".repeat(51), 413, ""],
      [`run_uuid=${"0".repeat(32)}&path=a.txt`, "x", 404, ""],
      [`run_uuid=..%2F..&path=a.txt`, "x", 400, ""],
    ];
    for (const [query, body, status, message] of cases) {
      const r = await upload(query, body);
      assert.equal(r.status, status, query);
      const j = await r.json();
      if (message) assert.equal(j.message, message, query);
    }
    const wrongMethod = await t.app.request(
      `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}`,
    );
    assert.equal(wrongMethod.status, 405);
    await wrongMethod.body?.cancel();
    const cross = await upload(`run_uuid=${runId}&path=c.txt`, "x", {
      origin: "https://evil.example",
    });
    assert.equal(cross.status, 403);
    await cross.body?.cancel();
    const left = [];
    for await (const e of Deno.readDir(`${t.artifacts}/${expId}/${runId}/artifacts`)) {
      left.push(e.name);
    }
    assert.deepEqual(left, ["dir"], "nothing else written, no temp files");

    // A run whose artifacts live in a local root (not proxied), and one stored elsewhere.
    const local = await t.call("experiments/create", {
      name: "local",
      artifact_location: `${t.dir}/local/arts`,
    });
    const localRun = await t.call("runs/create", { experiment_id: local.json.experiment_id });
    // deno-lint-ignore no-explicit-any
    const localId = (localRun.json.run as any).info.run_id;
    assert.equal((await upload(`run_uuid=${localId}&path=l.txt`, "local")).status, 200);
    assert.equal(
      await Deno.readTextFile(`${t.dir}/local/arts/${localId}/artifacts/l.txt`),
      "local",
    );
    const s3 = await t.call("experiments/create", { name: "s3", artifact_location: "s3://bkt/x" });
    const s3Run = await t.call("runs/create", { experiment_id: s3.json.experiment_id });
    // deno-lint-ignore no-explicit-any
    const s3Id = (s3Run.json.run as any).info.run_id;
    const remote = await upload(`run_uuid=${s3Id}&path=r.txt`, "x");
    assert.equal(remote.status, 400);
    assert.match((await remote.json()).message, /not among this server.s artifact roots/);
  } finally {
    await t.close();
  }
});
