/**
 * The registry's joins with the tracking store's logged models, the same on every store pair
 * (`registryLoggedModelContract("file", make)`): versions made from `models:/m-…` or with a
 * `model_id`, their storage location and run id, the logged model's `mlflow.modelVersions` tag,
 * download URIs and files of such versions, and the sources MLflow refuses. The joins live in the
 * REST layer (as in MLflow's server), so the cases go through `app.request()`.
 */
import assert from "node:assert/strict";
import { createApp } from "../src/api/app.ts";
import type { LoggedModel } from "../src/model.ts";
import { MODEL_VERSIONS_TAG } from "../src/registry_model.ts";
import type { ModelRegistryStore } from "../src/store/registry.ts";
import { versionArtifactUri } from "../src/store/registry_download.ts";
import type { TrackingStore } from "../src/store/store.ts";

/** A tracking store whose new experiments store artifacts under `mlflow-artifacts:/`, its registry. */
export type MakeStores = (dir: string) => Promise<{
  store: TrackingStore;
  registry: ModelRegistryStore;
}>;

type Json = Record<string, unknown>;

interface Ctx {
  store: TrackingStore;
  registry: ModelRegistryStore;
  /** The artifact proxy's destination. */
  artifacts: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }>;
  raw(path: string): Promise<Response>;
  /** A run and a logged model it produced (its artifacts under the proxy destination). */
  model(opts?: { run?: boolean }): Promise<LoggedModel>;
}

const create = (ctx: Ctx, body: Json) => ctx.call("POST", "model-versions/create", body);
const modelVersions = async (ctx: Ctx, id: string) =>
  (await ctx.store.getLoggedModel(id)).tags.find((t) => t.key === MODEL_VERSIONS_TAG)?.value;

function cases(test: (title: string, fn: (ctx: Ctx) => Promise<void>) => void): void {
  test("a models:/m-… version keeps the model's artifact location and run; the model lists it", async (ctx) => {
    const m = await ctx.model();
    await ctx.registry.createRegisteredModel("r");
    const src = `models:/${m.modelId}`;
    const made = await create(ctx, { name: "r", source: src, model_id: m.modelId });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    const v = made.json.model_version as Json;
    assert.deepEqual([v.version, v.source, v.run_id], ["1", src, m.sourceRunId]);
    // MLflow sends no model_id on the wire, whatever the store keeps.
    assert.equal("model_id" in v, false);
    const uri = await ctx.call("GET", "model-versions/get-download-uri?name=r&version=1");
    assert.deepEqual(uri.json, { artifact_uri: m.artifactLocation });
    assert.equal(await modelVersions(ctx, m.modelId), '[{"name": "r", "version": 1}]');
    // A run id in the request wins over the model's source run.
    const other = await ctx.store.createRun({ experimentId: m.experimentId });
    const again = await create(ctx, {
      name: "r",
      source: src,
      model_id: m.modelId,
      run_id: other.info.runId,
    });
    assert.equal((again.json.model_version as Json).run_id, other.info.runId);
    assert.equal(
      await modelVersions(ctx, m.modelId),
      '[{"name": "r", "version": 1}, {"name": "r", "version": 2}]',
    );
    const kept = (await ctx.registry.getModelVersion("r", 1)).modelId;
    assert.ok(kept === undefined || kept === m.modelId, `model id ${kept}`);
  });

  test("a source inside the model's artifacts with model_id: run from the model, files there", async (ctx) => {
    const m = await ctx.model();
    await ctx.registry.createRegisteredModel("r");
    const src = `${m.artifactLocation}/sub`;
    const made = await create(ctx, { name: "r", source: src, model_id: m.modelId });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    assert.deepEqual(
      [
        (made.json.model_version as Json).run_id,
        await ctx.registry.getModelVersionDownloadUri("r", 1),
      ],
      [m.sourceRunId, src],
    );
    assert.equal(await modelVersions(ctx, m.modelId), '[{"name": "r", "version": 1}]');
  });

  test("a model without a source run gives its versions an empty run id", async (ctx) => {
    const m = await ctx.model({ run: false });
    await ctx.registry.createRegisteredModel("r");
    const made = await create(ctx, {
      name: "r",
      source: `models:/${m.modelId}`,
      model_id: m.modelId,
    });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    assert.equal((made.json.model_version as Json).run_id ?? "", "");
  });

  test("get-artifact and download URIs of a model-id version reach the model's files", async (ctx) => {
    const m = await ctx.model();
    const rel = m.artifactLocation.replace(/^mlflow-artifacts:\/*/, "");
    await Deno.mkdir(`${ctx.artifacts}/${rel}/sub`, { recursive: true });
    await Deno.writeTextFile(`${ctx.artifacts}/${rel}/MLmodel`, "flavors: {}\n");
    await Deno.writeTextFile(`${ctx.artifacts}/${rel}/sub/x.txt`, "x");
    await ctx.registry.createRegisteredModel("r");
    await create(ctx, { name: "r", source: `models:/${m.modelId}`, model_id: m.modelId });
    await create(ctx, { name: "r", source: "models:/r/1" });
    for (const version of ["1", "2"]) {
      const res = await ctx.raw(
        `/model-versions/get-artifact?name=r&version=${version}&path=MLmodel`,
      );
      assert.equal(res.status, 200, version);
      assert.equal(await res.text(), "flavors: {}\n");
    }
    const nested = await ctx.raw("/model-versions/get-artifact?name=r&version=1&path=sub/x.txt");
    assert.equal(await nested.text(), "x");
    const missing = await ctx.raw("/model-versions/get-artifact?name=r&version=1&path=nope");
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const escape = await ctx.raw("/model-versions/get-artifact?name=r&version=1&path=../../x");
    assert.equal(escape.status, 400);
    await escape.body?.cancel();
    // mlt models download resolves `models:/m-…` and `models:/<name>/<version>` alike.
    for (const uri of [`models:/${m.modelId}`, "models:/r/2"]) {
      assert.equal(
        await versionArtifactUri(ctx.store, ctx.registry, uri),
        m.artifactLocation,
        uri,
      );
    }
  });

  test("a version of a model-id version: lineage and storage follow the store's model_id", async (ctx) => {
    const m = await ctx.model();
    await ctx.registry.createRegisteredModel("r");
    await create(ctx, { name: "r", source: `models:/${m.modelId}`, model_id: m.modelId });
    const made = await create(ctx, { name: "r", source: "models:/r/1" });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    const v = made.json.model_version as Json;
    assert.deepEqual([v.source, v.run_id], ["models:/r/1", m.sourceRunId]);
    assert.equal(await ctx.registry.getModelVersionDownloadUri("r", 2), m.artifactLocation);
    // The file store keeps model_id (so version 2 inherits it and is listed); SQLite does not.
    const kept = (await ctx.registry.getModelVersion("r", 1)).modelId === m.modelId;
    assert.equal(
      await modelVersions(ctx, m.modelId),
      kept
        ? '[{"name": "r", "version": 1}, {"name": "r", "version": 2}]'
        : '[{"name": "r", "version": 1}]',
    );
  });

  test("the mlflow.modelVersions tag: entries kept, none twice, an unreadable value left alone", async (ctx) => {
    const m = await ctx.model();
    await ctx.registry.createRegisteredModel("r");
    const set = (value: string) =>
      ctx.store.setLoggedModelTags(m.modelId, [{ key: MODEL_VERSIONS_TAG, value }]);
    const made = () =>
      create(ctx, { name: "r", source: `models:/${m.modelId}`, model_id: m.modelId });
    // The client appends the version as a string after the server's number: both stay.
    await set('[{"name": "r", "version": "1"}, {"name": "other", "version": 4}]');
    assert.equal((await made()).status, 200);
    assert.equal(
      await modelVersions(ctx, m.modelId),
      '[{"name": "r", "version": "1"}, {"name": "other", "version": 4}, {"name": "r", "version": 1}]',
    );
    await set('[{"name": "r", "version": 2}]');
    assert.equal((await made()).status, 200);
    assert.equal(await modelVersions(ctx, m.modelId), '[{"name": "r", "version": 2}]');
    for (const value of ["not json", '{"name": "r"}']) {
      await set(value);
      const res = await made();
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(await modelVersions(ctx, m.modelId), value);
    }
    await set("");
    assert.equal((await made()).status, 200);
    assert.equal(await modelVersions(ctx, m.modelId), '[{"name": "r", "version": 5}]');
  });

  test("bad sources are refused with MLflow's codes, and nothing is created", async (ctx) => {
    const m = await ctx.model();
    const gone = await ctx.model();
    await ctx.store.deleteLoggedModel(gone.modelId);
    const run = await ctx.store.createRun({ experimentId: m.experimentId });
    await ctx.registry.createRegisteredModel("r");
    const unknown = `m-${"0".repeat(32)}`;
    const refusals: [Json, number, string, RegExp][] = [
      [
        { source: `models:/${unknown}`, model_id: unknown },
        404,
        "RESOURCE_DOES_NOT_EXIST",
        /^Unable to fetch model from model URI source artifact location 'models:\/m-0+'\. Error: .*not found/,
      ],
      [
        { source: `models:/${unknown}` },
        400,
        "INVALID_PARAMETER_VALUE",
        /model_id request parameter/,
      ],
      [
        { source: `models:/${gone.modelId}`, model_id: gone.modelId },
        404,
        "RESOURCE_DOES_NOT_EXIST",
        /Unable to fetch model/,
      ],
      [
        { source: gone.artifactLocation, model_id: gone.modelId },
        400,
        "INVALID_PARAMETER_VALUE",
        /model_id request parameter must identify/,
      ],
      [
        { source: `${m.artifactLocation.replace(m.modelId, "other")}`, model_id: m.modelId },
        400,
        "INVALID_PARAMETER_VALUE",
        /model_id request parameter must identify/,
      ],
      [
        { source: "/tmp/elsewhere/model", model_id: m.modelId },
        400,
        "INVALID_PARAMETER_VALUE",
        /local path has to be contained within the artifact directory/,
      ],
      [
        { source: `models:/${gone.modelId}`, model_id: m.modelId },
        400,
        "INVALID_PARAMETER_VALUE",
        /model_id request parameter must identify/,
      ],
      [
        { source: `runs:/${run.info.runId}/model`, run_id: run.info.runId, model_id: m.modelId },
        400,
        "INVALID_PARAMETER_VALUE",
        /model_id request parameter must identify/,
      ],
      [
        { source: `models:/${m.modelId}/x`, model_id: m.modelId },
        404,
        "RESOURCE_DOES_NOT_EXIST",
        /Registered Model/,
      ],
    ];
    for (const [body, status, code, message] of refusals) {
      const res = await create(ctx, { name: "r", ...body });
      const what = JSON.stringify(body);
      assert.deepEqual([res.status, res.json.error_code], [status, code], what);
      assert.match(res.json.message as string, message, what);
    }
    const nope = await create(ctx, {
      name: "nope",
      source: `models:/${m.modelId}`,
      model_id: m.modelId,
    });
    assert.deepEqual([nope.status, nope.json.error_code], [404, "RESOURCE_DOES_NOT_EXIST"]);
    assert.deepEqual((await ctx.registry.searchModelVersions({})).items, []);
    assert.equal(await modelVersions(ctx, m.modelId), undefined);
  });
}

/** Registers the cases as Deno tests over the stores `make` opens in a fresh temp dir. */
export function registryLoggedModelContract(name: string, make: MakeStores): void {
  cases((title, fn) => {
    Deno.test(`${name} registry and logged models: ${title}`, async () => {
      const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-registry-lm-" }));
      const { store, registry } = await make(dir);
      const artifacts = `${dir}/mlartifacts`;
      const app = createApp({
        store,
        registry,
        artifactsDestination: artifacts,
        localArtifactRoots: [],
      });
      const url = (p: string) => (p.startsWith("/") ? p : `/api/2.0/mlflow/${p}`);
      const ctx: Ctx = {
        store,
        registry,
        artifacts,
        async call(method, path, body) {
          const res = await app.request(url(path), {
            method,
            ...(body === undefined
              ? {}
              : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
          });
          return { status: res.status, json: await res.json() };
        },
        raw: async (path) => await app.request(path),
        async model(opts = {}) {
          const exp = await store.createExperiment(`e-${crypto.randomUUID()}`);
          const run = opts.run === false ? undefined : await store.createRun({ experimentId: exp });
          return await store.createLoggedModel({
            experimentId: exp,
            name: "model",
            sourceRunId: run?.info.runId,
          });
        },
      };
      try {
        await fn(ctx);
      } finally {
        await registry.close();
        await store.close();
        await Deno.remove(dir, { recursive: true });
      }
    });
  });
}
