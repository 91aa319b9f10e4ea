/**
 * The registry's REST endpoints through `app.request()`: MLflow's JSON shapes, both API
 * prefixes, methods, the source checks of `model-versions/create`, `get-artifact`, and the
 * refusals that keep a stored source from ever being dereferenced outside the allowed roots.
 */
import assert from "node:assert/strict";
import { createApp } from "../src/api/app.ts";
import { isReadRequest } from "../src/api/auth.ts";
import { FileRegistryStore } from "../src/store/file/registry_store.ts";
import { openStore } from "../src/store/open.ts";
import type { TrackingStore } from "../src/store/store.ts";

type Json = Record<string, unknown>;

interface RegistryApp {
  dir: string;
  store: TrackingStore;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }>;
  raw(path: string): Promise<Response>;
  close(): Promise<void>;
}

async function registryApp(registry = true): Promise<RegistryApp> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-registry-api-" }));
  const store = openStore(`${dir}/mlruns`, { artifactRoot: `${dir}/mlruns`, warn: () => {} });
  const reg = registry ? new FileRegistryStore(`${dir}/mlruns`, { warn: () => {} }) : undefined;
  const app = createApp({
    store,
    registry: reg,
    artifactsDestination: `${dir}/mlartifacts`,
    localArtifactRoots: [`${dir}/mlruns`],
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const url = path.startsWith("/") ? path : `/api/2.0/mlflow/${path}`;
    const res = await app.request(url, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : {} };
  };
  return {
    dir,
    store,
    call,
    raw: async (path) => await app.request(path),
    async close() {
      await store.close();
      await reg?.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function withApp(fn: (t: RegistryApp) => Promise<void>, registry = true) {
  const t = await registryApp(registry);
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

// A run whose artifacts hold model/MLmodel; returns its id and artifact directory.
async function runWithModel(t: RegistryApp): Promise<{ runId: string; dir: string }> {
  const run = await t.store.createRun({});
  const dir = run.info.artifactUri;
  await Deno.mkdir(`${dir}/model`, { recursive: true });
  await Deno.writeTextFile(`${dir}/model/MLmodel`, "flavors: {}\n");
  return { runId: run.info.runId, dir };
}

Deno.test("registry API: MLflow's JSON shapes for models and versions", async () => {
  await withApp(async (t) => {
    const made = await t.call("POST", "registered-models/create", {
      name: "m",
      tags: [{ key: "t", value: "v" }, { key: "novalue" }],
      description: "",
    });
    assert.equal(made.status, 200);
    const rm = made.json.registered_model as Json;
    assert.deepEqual(Object.keys(rm), [
      "name",
      "creation_timestamp",
      "last_updated_timestamp",
      "tags",
    ]);
    assert.deepEqual(rm.tags, [{ key: "t", value: "v" }, { key: "novalue", value: "" }]);
    const { runId } = await runWithModel(t);
    const mv = await t.call("POST", "model-versions/create", {
      name: "m",
      source: `runs:/${runId}/model`,
      run_id: runId,
    });
    assert.equal(mv.status, 200, JSON.stringify(mv.json));
    assert.deepEqual(mv.json.model_version, {
      name: "m",
      version: "1",
      creation_timestamp: (mv.json.model_version as Json).creation_timestamp,
      last_updated_timestamp: (mv.json.model_version as Json).creation_timestamp,
      current_stage: "None",
      description: "",
      source: `runs:/${runId}/model`,
      run_id: runId,
      status: "READY",
      run_link: "",
    });
    await t.call("POST", "registered-models/alias", { name: "m", alias: "champion", version: "1" });
    const byAlias = await t.call("GET", "registered-models/alias?name=m&alias=champion");
    assert.deepEqual((byAlias.json.model_version as Json).aliases, ["champion"]);
    const got = await t.call("GET", "/ajax-api/2.0/mlflow/registered-models/get?name=m");
    const model = got.json.registered_model as Json;
    assert.deepEqual(model.aliases, [{ alias: "champion", version: "1" }]);
    assert.equal((model.latest_versions as Json[])[0].aliases, undefined);
    const latest = await t.call("GET", "registered-models/get-latest-versions?name=m&stages=none");
    assert.deepEqual((latest.json.model_versions as Json[])[0].aliases, ["champion"]);
    const search = await t.call("GET", "registered-models/search?max_results=1001");
    assert.equal(search.status, 400);
    assert.match(String(search.json.message), /Invalid value "1001" for parameter 'max_results'/);
    const uri = await t.call("GET", "model-versions/get-download-uri?name=m&version=1");
    assert.deepEqual(uri.json, { artifact_uri: `runs:/${runId}/model` });
  });
});

Deno.test("registry API: methods, deletes with JSON bodies, 405s, and errors", async () => {
  await withApp(async (t) => {
    await t.call("POST", "registered-models/create", { name: "m" });
    assert.equal((await t.call("GET", "registered-models/delete?name=m")).status, 405);
    assert.equal((await t.call("PUT", "registered-models/alias", {})).status, 405);
    const patch = await t.call("PATCH", "registered-models/update", {
      name: "m",
      description: "d",
    });
    assert.equal((patch.json.registered_model as Json).description, "d");
    const missing = await t.call("POST", "registered-models/create", {});
    assert.deepEqual([missing.status, missing.json.error_code], [400, "INVALID_PARAMETER_VALUE"]);
    const nope = await t.call("GET", "registered-models/get?name=nope");
    assert.deepEqual(nope, {
      status: 404,
      json: {
        error_code: "RESOURCE_DOES_NOT_EXIST",
        message: "Registered Model with name=nope not found",
        sqlstate: "KAM00",
        error_class: "RESOURCE_NOT_FOUND",
      },
    });
    const dup = await t.call("POST", "registered-models/create", { name: "m" });
    assert.deepEqual([dup.status, dup.json.error_code], [400, "RESOURCE_ALREADY_EXISTS"]);
    const archive = await t.call("POST", "model-versions/transition-stage", {
      name: "m",
      version: "1",
      stage: "None",
      archive_existing_versions: true,
    });
    assert.deepEqual([archive.status, archive.json.error_code], [400, "INVALID_PARAMETER_VALUE"]);
    assert.equal((await t.call("DELETE", "registered-models/delete", { name: "m" })).status, 200);
    assert.equal((await t.call("GET", "registered-models/get?name=m")).status, 404);
  });
});

Deno.test("registry API: without a registry the endpoints do not exist", async () => {
  await withApp(async (t) => {
    const r = await t.call("GET", "registered-models/search");
    assert.deepEqual([r.status, r.json.error_code], [404, "ENDPOINT_NOT_FOUND"]);
  }, false);
});

Deno.test("registry API: model version sources are checked as MLflow's handlers do", async () => {
  await withApp(async (t) => {
    await t.call("POST", "registered-models/create", { name: "m" });
    const { runId, dir } = await runWithModel(t);
    const other = (await t.store.createRun({})).info.runId;
    const create = (body: Json) => t.call("POST", "model-versions/create", { name: "m", ...body });
    const refused = async (body: Json, part: string) => {
      const r = await create(body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      assert.match(String(r.json.message), new RegExp(part), JSON.stringify(body));
    };
    await refused({ source: "/etc/passwd", run_id: runId }, "has to be contained within");
    await refused({ source: `${dir}/../../x`, run_id: runId }, "has to be contained within");
    await refused({ source: `${dir}/model` }, "run_id request parameter has to be specified");
    await refused({ source: `runs:/${runId}/model`, run_id: other }, "run_id request parameter");
    await refused({ source: `runs:/${runId}/model` }, "run_id request parameter");
    await refused({ source: "runs://host/x/model", run_id: "x" }, "run_id request parameter");
    await refused({ source: "mlflow-artifacts:/0/x/artifacts/model" }, "run_id request parameter");
    await refused({ source: "s3://bucket/a/../b" }, "relative path references");
    await refused({ source: "s3://bucket/a/%2E%2E/b" }, "relative path references");
    await refused({ source: "s3://bucket" }, "relative path references");
    await refused(
      { source: "http://evil.example/api/2.0/mlflow-artifacts/artifacts/x" },
      "'http' scheme",
    );
    await refused({ source: "mlflow-artifacts://evil:9/x" }, "'mlflow-artifacts' scheme");
    await refused({ source: "models:/m-0123456789abcdef0123456789abcdef" }, "model_id request");
    await refused({ source: "models://profile@databricks/m/1" }, "active model registry");
    await refused({
      source: "s3://b/p",
      tags: [{ key: "mlflow.prompt.is_prompt", value: "true" }],
    }, "Invalid prompt source");
    const ok = async (body: Json) => {
      const r = await create(body);
      assert.equal(r.status, 200, `${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      return r.json.model_version as Json;
    };
    await ok({ source: `${dir}/model`, run_id: runId });
    await ok({ source: `file://${dir}/model`, run_id: runId });
    await ok({ source: `runs:/${runId}/model`, run_id: runId });
    await ok({ source: "s3://bucket/model" });
    // A registered model source resolves to the version it names, with its run id.
    await t.call("POST", "registered-models/alias", { name: "m", alias: "prod", version: "3" });
    const lineage = await ok({ source: "models:/m@prod" });
    assert.deepEqual([lineage.source, lineage.run_id], ["models:/m/3", runId]);
    const byStage = await ok({ source: "models:/m/latest" });
    assert.equal(byStage.source, "models:/m/5");
    await refused({ source: "models:/m/3", run_id: other }, "must match the referenced");
    const nope = await create({ source: "models:/nope/1" });
    assert.equal(nope.status, 404);
    const uri = await t.call("GET", "model-versions/get-download-uri?name=m&version=5");
    assert.equal(uri.json.artifact_uri, `runs:/${runId}/model`);
  });
});

Deno.test("registry API: get-artifact serves a version's files from allowed roots only", async () => {
  await withApp(async (t) => {
    await t.call("POST", "registered-models/create", { name: "m" });
    const { runId, dir } = await runWithModel(t);
    await t.call("POST", "model-versions/create", {
      name: "m",
      source: `runs:/${runId}/model`,
      run_id: runId,
    });
    await t.call("POST", "model-versions/create", {
      name: "m",
      source: `${dir}/model`,
      run_id: runId,
    });
    for (const v of ["1", "2"]) {
      const res = await t.raw(`/model-versions/get-artifact?name=m&version=${v}&path=MLmodel`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "flavors: {}\n");
      assert.match(res.headers.get("content-disposition") ?? "", /attachment/);
    }
    for (const path of ["../../../../etc/passwd", "%2e%2e/x", "/etc/passwd"]) {
      const res = await t.raw(
        `/model-versions/get-artifact?name=m&version=1&path=${encodeURIComponent(path)}`,
      );
      assert.equal(res.status, 400, path);
      await res.body?.cancel();
    }
    // A stored source outside the roots (MLflow lets an s3 URI in) is never opened.
    await t.call("POST", "model-versions/create", { name: "m", source: "s3://bucket/model" });
    const s3 = await t.raw("/model-versions/get-artifact?name=m&version=3&path=MLmodel");
    assert.equal(s3.status, 400);
    await s3.body?.cancel();
    const unknown = await t.raw("/model-versions/get-artifact?name=m&version=9&path=MLmodel");
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
  });
});

Deno.test("registry API: read-only principals may read the registry, not change it", () => {
  const api = "/api/2.0/mlflow";
  for (
    const path of ["registered-models/search", "model-versions/get", "registered-models/alias"]
  ) {
    assert.ok(isReadRequest("GET", `${api}/${path}`), path);
  }
  // MLflow's client asks for the latest versions with a POST.
  assert.ok(isReadRequest("POST", `${api}/registered-models/get-latest-versions`));
  assert.ok(isReadRequest("POST", `/ajax-api/2.0/mlflow/registered-models/get-latest-versions`));
  for (
    const [method, path] of [
      ["POST", "registered-models/create"],
      ["POST", "registered-models/alias"],
      ["DELETE", "registered-models/delete"],
      ["PATCH", "model-versions/update"],
    ]
  ) assert.ok(!isReadRequest(method, `${api}/${path}`), `${method} ${path}`);
});
