/**
 * A UI over a real store and its model registry (file or SQLite) holding an experiment, a run
 * that logged two models (one with params, tags, a dataset-linked metric and a file), and a
 * registered model whose versions come from them, requested through `app.request()`.
 */
import type { Hono } from "hono";
import { createApp } from "../../src/api/app.ts";
import { openStore } from "../../src/store/open.ts";
import { loadRegistryStore } from "../../src/store/open_registry.ts";
import type { ModelRegistryStore } from "../../src/store/registry.ts";
import { recordModelVersion } from "../../src/store/registry_links.ts";
import type { TrackingStore } from "../../src/store/store.ts";
import { mountUi, type Ui } from "../../ui/app.ts";

/** When the fixture's run starts. */
export const T0 = Date.UTC(2024, 0, 1);

/** The fixture's stores, ids and request helpers. */
export interface ModelsFixture {
  app: Hono;
  ui: Ui;
  store: TrackingStore;
  registry: ModelRegistryStore;
  dir: string;
  exp: string;
  runId: string;
  /** The READY model "iris-clf" (registered as version 1 of "Iris") and the FAILED "scratch". */
  model: string;
  other: string;
  get(path: string): Promise<{ status: number; text: string }>;
  post(path: string, form: Record<string, string>, headers?: HeadersInit): Promise<Response>;
  close(): Promise<void>;
}

/** Builds the fixture over a temp mlruns, or the store URI `uri` gives. */
export async function modelsFixture(uri?: (dir: string) => string): Promise<ModelsFixture> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-ui-models-" }));
  const store = openStore(uri?.(dir) ?? `${dir}/mlruns`);
  const registry = await loadRegistryStore(undefined, {}, store);
  const app = createApp({
    store,
    registry,
    artifactsDestination: `${dir}/mlartifacts`,
    localArtifactRoots: [`${dir}/mlruns`, dir],
  });
  const ui = mountUi(app, { store, registry, pollMs: 20 });
  const exp = await store.createExperiment("models-exp", `file://${dir}/artifacts`);
  const run = await store.createRun({ experimentId: exp, runName: "train-run", startTime: T0 });
  const runId = run.info.runId;
  const m = await store.createLoggedModel({
    experimentId: exp,
    name: "iris-clf",
    modelType: "sklearn",
    sourceRunId: runId,
    params: [{ key: "C", value: "0.5" }],
    tags: [{ key: "team", value: "vision" }],
  });
  await store.finalizeLoggedModel(m.modelId, "READY");
  await store.logMetric(runId, {
    key: "accuracy",
    value: 0.93,
    timestamp: T0,
    step: 0,
    modelId: m.modelId,
    datasetName: "iris-test",
    datasetDigest: "abc123",
  });
  for (const [value, step] of [[0.5, 0], [0.95, 1]]) {
    await store.logMetric(runId, {
      key: "accuracy",
      value,
      timestamp: T0 + step,
      step,
      modelId: m.modelId,
      datasetName: "iris-val",
      datasetDigest: "def456",
    });
  }
  const files = decodeURIComponent(new URL(m.artifactLocation).pathname);
  await Deno.mkdir(files, { recursive: true });
  await Deno.writeTextFile(`${files}/MLmodel`, "flavors: {}\n");
  // A later creation time, so "newest first" has one answer.
  await new Promise((r) => setTimeout(r, 5));
  const o = await store.createLoggedModel({ experimentId: exp, name: "scratch" });
  await store.finalizeLoggedModel(o.modelId, "FAILED");
  await store.logInputs(runId, [], [{ modelId: o.modelId }]);
  await registry.createRegisteredModel(
    "Iris",
    [{ key: "owner", value: "ml-team" }],
    "Iris flowers",
  );
  const v = await registry.createModelVersion({
    name: "Iris",
    source: `models:/${m.modelId}`,
    runId,
    modelId: m.modelId,
    storageLocation: m.artifactLocation,
  });
  await recordModelVersion(store, m.modelId, "Iris", v.version);
  await registry.setRegisteredModelAlias("Iris", "champion", v.version);
  await registry.createRegisteredModel("Other");
  await store.updateRun({ runId, status: "FINISHED", endTime: T0 + 5000 });
  const get = async (path: string) => {
    const res = await app.request(path);
    return { status: res.status, text: await res.text() };
  };
  const post = (path: string, form: Record<string, string>, headers: HeadersInit = {}) =>
    Promise.resolve(app.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form),
    }));
  return {
    app,
    ui,
    store,
    registry,
    dir,
    exp,
    runId,
    model: m.modelId,
    other: o.modelId,
    get,
    post,
    async close() {
      ui.close();
      await registry.close();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
