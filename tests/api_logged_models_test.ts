/**
 * The logged-model endpoints through `app.request()`: routes and methods under both prefixes,
 * MLflow's request decoding (path ids, absent fields, DELETE without a body), the wire form of a
 * LoggedModel, and the artifact listing and download that never leave the allowed roots.
 */
import assert from "node:assert/strict";
import { type TestApp, testApp } from "./helpers/api.ts";

async function send(
  t: TestApp,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  const url = path.startsWith("/") ? path : `/api/2.0/mlflow/${path}`;
  const res = await t.app.request(url, init);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

async function withApp(fn: (t: TestApp, exp: string) => Promise<void>): Promise<void> {
  const t = await testApp();
  try {
    const exp = (await t.call("experiments/create", { name: "models" })).json.experiment_id;
    await fn(t, exp as string);
  } finally {
    await t.close();
  }
}

Deno.test("logged-models: create, get, finalize, tags, params, delete over REST", async () => {
  await withApp(async (t, exp) => {
    const created = await send(t, "POST", "logged-models", {
      experiment_id: exp,
      name: "",
      params: [{ key: "p", value: "1" }],
      tags: [{ key: "t", value: "v" }],
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const info = (created.json.model as { info: Record<string, unknown> }).info;
    const id = info.model_id as string;
    assert.match(id, /^m-[0-9a-f]{32}$/);
    // An empty name draws one; absent type and run are stored as "" (MLflow's handler).
    assert.match(info.name as string, /^[a-z]+-[a-z]+-\d+$/);
    assert.equal(info.model_type, "");
    assert.equal(info.source_run_id, "");
    assert.equal(info.status, "LOGGED_MODEL_PENDING");
    assert.equal(info.artifact_uri, `mlflow-artifacts:/${exp}/models/${id}/artifacts`);
    assert.deepEqual(info.tags, [{ key: "t", value: "v" }]);
    assert.deepEqual(created.json.model, {
      info,
      data: { params: [{ key: "p", value: "1" }] },
    });
    const fin = await send(t, "PATCH", `logged-models/${id}`, {
      model_id: id,
      status: "LOGGED_MODEL_READY",
    });
    assert.equal(
      (fin.json.model as { info: { status: string } }).info.status,
      "LOGGED_MODEL_READY",
    );
    // The enum's number works too.
    const failed = await send(t, "PATCH", `logged-models/${id}`, { model_id: id, status: 3 });
    assert.equal(
      (failed.json.model as { info: { status: string } }).info.status,
      "LOGGED_MODEL_UPLOAD_FAILED",
    );
    assert.deepEqual(
      (await send(t, "PATCH", `logged-models/${id}/tags`, { tags: [{ key: "a/b", value: "2" }] }))
        .json,
      {},
    );
    // A nested key through the path; DELETE with no body at all.
    assert.equal((await send(t, "DELETE", `logged-models/${id}/tags/a/b`)).status, 200);
    const missing = await send(t, "DELETE", `logged-models/${id}/tags/a/b`);
    assert.deepEqual(missing, {
      status: 404,
      json: {
        error_code: "RESOURCE_DOES_NOT_EXIST",
        message: `No tag with key 'a/b' found for model with ID '${id}'.`,
        sqlstate: "KAM00",
        error_class: "RESOURCE_NOT_FOUND",
      },
    });
    await send(t, "POST", `logged-models/${id}/params`, {
      model_id: id,
      params: [{ key: "q", value: "2" }],
    });
    const got = await send(t, "GET", `/ajax-api/2.0/mlflow/logged-models/${id}`);
    const model = got.json.model as { info: { tags: unknown }; data: { params: unknown } };
    assert.deepEqual(model.data.params, [{ key: "p", value: "1" }, { key: "q", value: "2" }]);
    assert.deepEqual(model.info.tags, [{ key: "t", value: "v" }]);
    assert.equal((await send(t, "DELETE", `logged-models/${id}`, { model_id: id })).status, 200);
    assert.equal((await send(t, "GET", `logged-models/${id}`)).status, 404);
    const kept = await send(t, "GET", `logged-models/${id}?allow_deleted=true`);
    assert.equal(kept.status, 200);
  });
});

Deno.test("logged-models: MLflow's 400/404/405 answers", async () => {
  await withApp(async (t, exp) => {
    const cases: [string, string, unknown, number, string, RegExp][] = [
      ["POST", "logged-models", {}, 400, "INVALID_PARAMETER_VALUE", /'experiment_id'/],
      [
        "POST",
        "logged-models",
        { experiment_id: exp, name: "a.b" },
        400,
        "INVALID_PARAMETER_VALUE",
        /Invalid model name/,
      ],
      [
        "POST",
        "logged-models",
        { experiment_id: "999" },
        404,
        "RESOURCE_DOES_NOT_EXIST",
        /experiment/,
      ],
      [
        "GET",
        `logged-models/m-${"0".repeat(32)}`,
        undefined,
        404,
        "RESOURCE_DOES_NOT_EXIST",
        /not found/,
      ],
      [
        "PATCH",
        "logged-models/m-1",
        { model_id: "m-1" },
        400,
        "INVALID_PARAMETER_VALUE",
        /'status'/,
      ],
      [
        "PATCH",
        "logged-models/m-1",
        { status: "NOPE" },
        400,
        "INVALID_PARAMETER_VALUE",
        /'status'/,
      ],
      ["POST", "logged-models/search", {}, 400, "INVALID_PARAMETER_VALUE", /'experiment_ids'/],
      [
        "POST",
        "logged-models/search",
        { experiment_ids: [exp], filter: "a OR b" },
        400,
        "INVALID_PARAMETER_VALUE",
        /logged model search filter/,
      ],
      [
        "POST",
        "logged-models/search",
        { experiment_ids: [exp], order_by: [{}] },
        400,
        "INVALID_PARAMETER_VALUE",
        /`field_name`/,
      ],
      ["GET", "logged-models/search", undefined, 404, "RESOURCE_DOES_NOT_EXIST", /not found/],
      ["POST", "logged-models/m-1", {}, 405, "BAD_REQUEST", /Method not allowed/],
      ["PUT", "logged-models", {}, 405, "BAD_REQUEST", /Method not allowed/],
    ];
    for (const [method, path, body, status, code, message] of cases) {
      const r = await send(t, method, path, body);
      assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error_code, code, `${method} ${path}`);
      assert.match(r.json.message as string, message, `${method} ${path}`);
    }
  });
});

Deno.test("logged-models: artifacts are listed and served only inside the allowed roots", async () => {
  await withApp(async (t, exp) => {
    const id = ((await send(t, "POST", "logged-models", { experiment_id: exp })).json.model as {
      info: { model_id: string };
    }).info.model_id;
    const base = `${t.artifacts}/${exp}/models/${id}/artifacts`;
    await Deno.mkdir(`${base}/sub`, { recursive: true });
    await Deno.writeTextFile(`${base}/MLmodel`, "flavors: {}\n");
    await Deno.writeTextFile(`${base}/sub/x.txt`, "x");
    const dirs = `logged-models/${id}/artifacts/directories`;
    assert.deepEqual((await send(t, "GET", dirs)).json, {
      root_uri: `mlflow-artifacts:/${exp}/models/${id}/artifacts`,
      files: [
        { path: "MLmodel", is_dir: false, file_size: 12 },
        { path: "sub", is_dir: true },
      ],
    });
    const sub = await send(t, "GET", `${dirs}?artifact_directory_path=sub`);
    assert.deepEqual(sub.json.files, [{ path: "sub/x.txt", is_dir: false, file_size: 1 }]);
    for (const bad of ["../x", "/etc", "sub/../../x", "%2e%2e/x"]) {
      const r = await send(t, "GET", `${dirs}?artifact_directory_path=${encodeURIComponent(bad)}`);
      assert.equal(r.status, 400, bad);
    }
    const files = `/ajax-api/2.0/mlflow/logged-models/${id}/artifacts/files`;
    const file = await t.app.request(`${files}?artifact_file_path=MLmodel`);
    assert.equal(file.status, 200);
    assert.equal(await file.text(), "flavors: {}\n");
    assert.match(file.headers.get("content-disposition") ?? "", /^attachment/);
    assert.equal((await t.app.request(files)).status, 400);
    assert.equal((await t.app.request(`${files}?artifact_file_path=../../x`)).status, 400);
    // A location outside the roots (a hand-written store) is never followed.
    const outside = await t.store.createExperiment("outside", "/etc");
    const m = await t.store.createLoggedModel({ experimentId: outside });
    const r = await send(t, "GET", `logged-models/${m.modelId}/artifacts/directories`);
    assert.equal(r.status, 400, JSON.stringify(r.json));
    const f = await t.app.request(
      `/ajax-api/2.0/mlflow/logged-models/${m.modelId}/artifacts/files?artifact_file_path=passwd`,
    );
    assert.equal(f.status, 400);
  });
});

Deno.test("runs: model outputs and inputs on the wire, metrics keep model_id", async () => {
  await withApp(async (t, exp) => {
    const run = (await t.call("runs/create", { experiment_id: exp })).json.run as {
      info: { run_id: string };
    };
    const runId = run.info.run_id;
    const id = ((await send(t, "POST", "logged-models", { experiment_id: exp })).json.model as {
      info: { model_id: string };
    }).info.model_id;
    assert.deepEqual(
      (await t.call("runs/outputs", { run_id: runId, models: [{ model_id: id, step: 0 }] })).json,
      {},
    );
    await t.call("runs/log-inputs", { run_id: runId, models: [{ model_id: id }] });
    await t.call("runs/log-metric", {
      run_id: runId,
      key: "m",
      value: 1,
      timestamp: 5,
      model_id: id,
      dataset_name: "d",
      dataset_digest: "e",
    });
    const got = (await (await t.get("runs/get", { run_id: runId })).json()).run;
    assert.deepEqual(got.outputs, { model_outputs: [{ model_id: id, step: 0 }] });
    assert.deepEqual(got.inputs, { model_inputs: [{ model_id: id }] });
    const model = (await send(t, "GET", `logged-models/${id}`)).json.model as {
      data: { metrics: unknown[] };
    };
    assert.deepEqual(model.data.metrics, [{
      key: "m",
      value: 1,
      timestamp: 5,
      step: 0,
      dataset_name: "d",
      dataset_digest: "e",
      model_id: id,
      run_id: runId,
    }]);
    const bad = await t.call("runs/outputs", { run_id: runId });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message as string, /'models'/);
  });
});
