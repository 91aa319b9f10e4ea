/**
 * `mlt migrate` with MLflow 3's entities between every pair of file, SQLite and PostgreSQL
 * stores: logged models (active and deleted, params, tags, metric points with their runs and
 * datasets), runs' model inputs and outputs, and the registry (models, tags, descriptions,
 * version numbers with a deleted one, stages, times, version tags, aliases). Each copy must equal
 * the source, read through the interfaces; a second migration copies nothing; the CLI prints the
 * count table with the password masked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { LoggedModel } from "../src/model.ts";
import { FileStore } from "../src/store/file/file_store.ts";
import { migrate } from "../src/store/migrate.ts";
import { allLoggedModels } from "../src/store/migrate_models.ts";
import { loadRegistryStore } from "../src/store/open_registry.ts";
import { openStore } from "../src/store/open.ts";
import type { ModelRegistryStore } from "../src/store/registry.ts";
import type { ImportTarget } from "../src/store/migrate.ts";
import { FileImport } from "../src/store/migrate_file.ts";
import { allPages, type TrackingStore } from "../src/store/store.ts";
import { fakeClock, T0 } from "./store_contract.ts";
import { sharedCluster, stopClusterTest } from "./helpers/postgres.ts";
import { mlt } from "./helpers/mlt_cli.ts";

const quiet = { warn: () => {} };

// A source file store holding every kind of MLflow 3 entity.
async function fill(s: TrackingStore, r: ModelRegistryStore): Promise<void> {
  const exp = await s.createExperiment("models", undefined, [{ key: "k", value: "v" }]);
  const run = (await s.createRun({ experimentId: exp, runName: "train" })).info.runId;
  const model = await s.createLoggedModel({
    experimentId: exp,
    name: "clf",
    modelType: "sklearn",
    sourceRunId: run,
    params: [{ key: "alpha", value: "0.5" }],
    tags: [{ key: "t", value: "1" }],
  });
  const other = await s.createLoggedModel({ experimentId: exp, name: "gone" });
  await s.finalizeLoggedModel(model.modelId, "READY");
  await s.logBatch(run, {
    metrics: [
      { key: "acc", value: 0.9, timestamp: T0, step: 1, modelId: model.modelId },
      {
        key: "acc",
        value: 0.8,
        timestamp: T0 + 1,
        step: 2,
        modelId: model.modelId,
        datasetName: "val",
        datasetDigest: "abc",
      },
    ],
  });
  await s.logInputs(run, [], [{ modelId: other.modelId }]);
  await s.logOutputs(run, [{ modelId: model.modelId, step: 2 }]);
  await s.deleteLoggedModel(other.modelId);
  await r.createRegisteredModel("reg", [{ key: "team", value: "ml" }], "a model");
  for (let i = 1; i <= 3; i++) {
    await r.createModelVersion({
      name: "reg",
      source: `s3://bucket/m/${i}`,
      runId: run,
      description: `v${i}`,
      tags: [{ key: "n", value: String(i) }],
    });
  }
  await r.deleteModelVersion("reg", 2);
  await r.transitionModelVersionStage("reg", 3, "Production", false);
  await r.setRegisteredModelAlias("reg", "champion", 3);
  await r.createRegisteredModel("empty");
  // Registered from a logged model, as MLflow 3's client does (the server resolves the
  // storage location from the model; a SQL store keeps no model_id).
  await r.createRegisteredModel("from-model");
  await r.createModelVersion({
    name: "from-model",
    source: `models:/${model.modelId}`,
    runId: run,
    modelId: model.modelId,
    storageLocation: model.artifactLocation,
  });
}

async function snapshot(s: TrackingStore, r: ModelRegistryStore) {
  const all = (await s.searchExperiments({ viewType: "ALL" })).items;
  const exps = all.map((e) => e.experimentId);
  // By name: a file store's 18-digit ids get new ids in PostgreSQL's 32-bit column.
  const nameOf = new Map(all.map((e) => [e.experimentId, e.name]));
  const byKey = <T extends { key: string }>(xs: T[]) =>
    [...xs].sort((a, b) => (a.key < b.key ? -1 : 1));
  const models = (await allLoggedModels(s, exps)).map(({ model, deleted }) => ({
    ...model,
    experimentId: nameOf.get(model.experimentId),
    deleted,
    params: byKey(model.params),
    tags: byKey(model.tags),
    metrics: [...model.metrics].sort((a, b) => a.timestamp - b.timestamp),
  } as LoggedModel & { deleted: boolean }));
  const runs = [];
  for (const e of exps) {
    for (const run of (await s.searchRuns({ experimentIds: [e], viewType: "ALL" })).items) {
      const full = await s.getRun(run.info.runId);
      runs.push([full.info.runId, full.inputs.modelInputs, full.outputs?.modelOutputs]);
    }
  }
  const { items } = await allPages((pageToken) =>
    r.searchRegisteredModels({ pageToken, orderBy: ["name ASC"] })
  );
  const registry = [];
  for (const m of items) {
    const full = await r.getRegisteredModel(m.name);
    const versions = [];
    for (
      const v of (await r.searchModelVersions({
        filter: `name = '${m.name}'`,
        orderBy: ["version_number ASC"],
      })).items
    ) {
      const downloadUri = await r.getModelVersionDownloadUri(m.name, v.version);
      versions.push({ ...v, tags: byKey(v.tags), aliases: [...v.aliases].sort(), downloadUri });
    }
    registry.push({ ...full, tags: byKey(full.tags), versions });
  }
  // JSON drops the undefined keys some stores leave on absent fields. A version's model_id is
  // checked apart: MLflow's SQL tables have no column for it.
  const versionsWithoutModelId = JSON.parse(
    JSON.stringify(registry),
    (k, v) => k === "modelId" ? undefined : v,
  ) as typeof registry;
  return JSON.parse(JSON.stringify({ models, runs, registry: versionsWithoutModelId })) as {
    models: typeof models;
    runs: typeof runs;
    registry: typeof registry;
  };
}

interface Side {
  store: TrackingStore;
  registry: ModelRegistryStore;
  importer: ImportTarget;
  at: (ms: number | undefined) => void;
}

async function open(uri: string, root?: string): Promise<Side> {
  let now: number | undefined;
  const store = openStore(uri, quiet);
  const registry = await loadRegistryStore(
    uri,
    { ...quiet, clock: () => now ?? Date.now() },
    store,
  );
  const importer = root
    ? new FileImport(root)
    : (store as unknown as { import: ImportTarget }).import;
  return { store, registry, importer, at: (ms) => now = ms };
}

async function close(s: Side): Promise<void> {
  await s.registry.close();
  await s.store.close();
}

async function copy(from: Side, to: Side) {
  return await migrate({
    source: from.store,
    target: to.store,
    importer: to.importer,
    registries: { source: from.registry, target: to.registry, at: to.at },
  });
}

Deno.test("migrate(): logged models and the registry, file → SQLite → PostgreSQL → file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-migrate-models-" });
  const cluster = sharedCluster();
  const pgUri = cluster.url(cluster.createDatabase());
  try {
    const srcRoot = join(dir, "src");
    const src = new FileStore(srcRoot, { clock: fakeClock(), ...quiet });
    const srcReg = await loadRegistryStore(srcRoot, { clock: fakeClock(T0 + 500), ...quiet }, src);
    await fill(src, srcReg);
    const want = await snapshot(src, srcReg);
    assert.equal(want.models.length, 2);
    assert.deepEqual(want.registry.map((m) => [m.name, m.versions.map((v) => v.version)]), [
      ["empty", []],
      ["from-model", [1]],
      ["reg", [1, 3]],
    ]);
    const clf = want.models.find((m) => m.name === "clf")!;
    const fromModel = want.registry.find((m) => m.name === "from-model")!.versions[0];
    assert.equal(fromModel.source, `models:/${clf.modelId}`);
    assert.equal(fromModel.downloadUri, clf.artifactLocation);
    const source: Side = {
      store: src,
      registry: srcReg,
      importer: new FileImport(srcRoot),
      at: () => {},
    };
    const sqlite = await open(`sqlite:///${join(dir, "mlflow.db")}`);
    const pg = await open(pgUri);
    const backRoot = join(dir, "back");
    const back = await open(backRoot, backRoot);
    try {
      let from = source;
      for (const [name, to] of [["sqlite", sqlite], ["postgres", pg], ["file", back]] as const) {
        const r = await copy(from, to);
        assert.deepEqual(r.mismatches, [], name);
        assert.equal(r.source.loggedModels, 2, name);
        assert.equal(r.source.modelVersions, 3, name);
        assert.equal(r.source.modelLinks, 2, name);
        assert.deepEqual(await snapshot(to.store, to.registry), want, `${name} equals the source`);
        // A file store keeps the version's model_id; from SQL it comes back from the source URI.
        const modelIds = [];
        for (const s of [from, to]) {
          if (s.importer instanceof FileImport) {
            modelIds.push((await s.registry.getModelVersion("from-model", 1)).modelId);
          }
        }
        assert.deepEqual(modelIds, modelIds.map(() => clf.modelId), name);
        // Deleted version numbers stay taken: the next version of "reg" is 4 everywhere.
        const again = await copy(from, to);
        assert.deepEqual([again.copiedRuns, again.copiedModels, again.copiedRegisteredModels], [
          0,
          0,
          0,
        ]);
        from = to;
      }
      const next = await back.registry.createModelVersion({ name: "reg", source: "s3://b/4" });
      assert.equal(next.version, 4);
      // PostgreSQL → SQLite directly, into a fresh database.
      const sqlite2 = await open(`sqlite:///${join(dir, "second.db")}`);
      try {
        const r = await copy(pg, sqlite2);
        assert.deepEqual(r.mismatches, []);
        assert.deepEqual(await snapshot(sqlite2.store, sqlite2.registry), want);
      } finally {
        await close(sqlite2);
      }
    } finally {
      for (const s of [sqlite, pg, back]) await close(s);
      await srcReg.close();
      await src.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mlt migrate: PostgreSQL → file store on the command line, password masked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-migrate-cli-" });
  const cluster = sharedCluster();
  const uri = cluster.url(cluster.createDatabase(), { password: "Hush4Pw" });
  try {
    const pg = await open(uri);
    try {
      await fill(pg.store, pg.registry);
    } finally {
      await close(pg);
    }
    const out = await mlt(["migrate", "--from", uri, "--to", join(dir, "copy"), "--quiet"], {
      cwd: dir,
    });
    assert.equal(out.code, 0, out.stderr);
    assert.ok(!(out.stdout + out.stderr).includes("Hush4Pw"));
    assert.match(out.stdout, /Migrated postgresql:\/\/postgres:\*\*\*@/);
    assert.match(out.stdout, /logged models\s+2\s+2/);
    assert.match(out.stdout, /model versions\s+3\s+3/);
    assert.match(out.stdout, /Verified: the target holds every entity of the source/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

stopClusterTest();
