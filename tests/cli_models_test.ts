/** `mlt models …` through the real CLI, against temp file and SQLite stores and a real server. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FileRegistryStore } from "../src/store/file/registry_store.ts";
import { localArtifactDir } from "../src/store/artifacts.ts";
import { openStore } from "../src/store/open.ts";
import type { ModelRegistryStore } from "../src/store/registry.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { SqliteRegistryStore } from "../src/store/sqlite/registry_store.ts";
import { errorLine, inTempDir, mlt } from "./helpers/mlt_cli.ts";
import { startRegistryServer } from "./helpers/registry_server.ts";

/** A run with `model/MLmodel`, a model "fraud" with 2 versions (v2 Production, @champion → 2). */
async function seed(store: TrackingStore, reg: ModelRegistryStore) {
  const run = await store.createRun({ runName: "train" });
  const dir = localArtifactDir(run.info.artifactUri)!;
  await Deno.mkdir(join(dir, "model"), { recursive: true });
  await Deno.writeTextFile(join(dir, "model", "MLmodel"), "flavors: {}\n");
  await Deno.writeTextFile(join(dir, "model", "weights.bin"), "0101");
  const runId = run.info.runId;
  await reg.createRegisteredModel("fraud", [{ key: "team", value: "risk" }], "Fraud model\nv2");
  await reg.createModelVersion({ name: "fraud", source: `runs:/${runId}/model`, runId });
  await reg.createModelVersion({ name: "fraud", source: `${run.info.artifactUri}/model`, runId });
  await reg.transitionModelVersionStage("fraud", "2", "Production", false);
  await reg.setRegisteredModelAlias("fraud", "champion", "2");
  await reg.createRegisteredModel("other");
  return runId;
}

Deno.test("mlt models list, versions, describe on a file store", async () => {
  await inTempDir(async (dir) => {
    const root = join(dir, "mlruns");
    const store = openStore(root);
    const reg = new FileRegistryStore(root);
    const runId = await seed(store, reg);
    await store.close();
    const at = ["--tracking-uri", root];
    const list = await mlt(["models", "list", ...at]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+LATEST VERSIONS\s+ALIASES\s+UPDATED\s+DESCRIPTION/);
    assert.match(
      list.stdout,
      /fraud\s+1 \(None\), 2 \(Production\)\s+champion → 2\s+\S+ \S+\s+Fraud model/,
    );
    assert.match(list.stdout, /\nother\s/);
    const filtered = await mlt([
      "models",
      "list",
      "--filter",
      "tags.team = 'risk'",
      "--json",
      ...at,
    ]);
    assert.equal(filtered.code, 0, filtered.stderr);
    const json = JSON.parse(filtered.stdout);
    assert.deepEqual(json.map((m: { name: string }) => m.name), ["fraud"]);
    assert.deepEqual(json[0].aliases, [{ alias: "champion", version: 2 }]);

    const versions = await mlt(["models", "versions", "fraud", ...at]);
    assert.equal(versions.code, 0, versions.stderr);
    assert.match(versions.stdout, /^NAME\s+VERSION\s+STAGE\s+ALIASES\s+RUN\s+SOURCE\s+CREATED/);
    assert.match(
      versions.stdout,
      new RegExp(`fraud\\s+1\\s+None\\s+${runId}\\s+runs:/${runId}/model`),
    );

    const model = await mlt(["models", "describe", "fraud", ...at]);
    assert.equal(model.code, 0, model.stderr);
    assert.match(model.stdout, /name\s+fraud\n/);
    assert.match(model.stdout, /aliases\s+champion → 2/);
    assert.match(model.stdout, /team = risk/);
    assert.match(model.stdout, /\n2\s+Production\s+champion\s/);

    for (const sel of [["2"], ["@champion"], ["Production"], ["latest"]]) {
      const one = await mlt(["models", "describe", "fraud", ...sel, "--json", ...at]);
      assert.equal(one.code, 0, one.stderr);
      assert.deepEqual([JSON.parse(one.stdout).version, JSON.parse(one.stdout).aliases], [2, [
        "champion",
      ]]);
    }
    const uri = await mlt(["models", "describe", "models:/fraud/1", "--json", ...at]);
    assert.equal(JSON.parse(uri.stdout).version, 1);
  });
});

Deno.test("mlt models set-alias, delete-alias and their errors", async () => {
  await inTempDir(async (dir) => {
    const uri = `sqlite:///${join(dir, "mlflow.db")}`;
    const store = openStore(uri, { artifactRoot: join(dir, "artifacts") });
    const reg = new SqliteRegistryStore(uri);
    await seed(store, reg);
    await reg.close();
    await store.close();
    const at = ["--tracking-uri", uri];
    const set = await mlt(["models", "set-alias", "fraud", "canary", "1", ...at]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /Alias 'canary' of model 'fraud' now points at version 1/);
    const check = new SqliteRegistryStore(uri);
    assert.equal((await check.getModelVersionByAlias("fraud", "canary")).version, 1);
    await check.close();
    const del = await mlt(["models", "delete-alias", "fraud", "canary", ...at]);
    assert.equal(del.code, 0, del.stderr);
    const gone = await mlt(["models", "describe", "fraud", "@canary", ...at]);
    assert.equal(gone.code, 1);
    assert.match(errorLine(gone), /^error: Registered model alias canary not found/);
    const reserved = await mlt(["models", "set-alias", "fraud", "latest", "1", ...at]);
    assert.equal(reserved.code, 1);
    assert.match(errorLine(reserved), /reserved/);
    const unknown = await mlt(["models", "describe", "nope", ...at]);
    assert.equal(unknown.code, 1);
    assert.match(errorLine(unknown), /^error: Registered Model with name=nope not found/);
    const missing = await mlt(["models", "set-alias", "fraud", ...at]);
    assert.equal(missing.code, 2);
  });
});

Deno.test("mlt models download: runs:/ and path sources, locally and through a server", async () => {
  await inTempDir(async (dir) => {
    const root = join(dir, "mlruns");
    const store = openStore(root);
    const reg = new FileRegistryStore(root);
    await seed(store, reg);
    await store.close();
    for (const [sel, dst] of [["1", "a"], ["@champion", "b"]]) {
      const out = await mlt([
        "models",
        "download",
        "fraud",
        sel,
        "--dst-path",
        join(dir, dst),
        "--tracking-uri",
        root,
      ]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout.trim(), join(dir, dst));
      assert.equal(await Deno.readTextFile(join(dir, dst, "weights.bin")), "0101");
      assert.equal(await Deno.readTextFile(join(dir, dst, "MLmodel")), "flavors: {}\n");
    }
  });
  const srv = await startRegistryServer();
  try {
    await inTempDir(async (dir) => {
      const run = await srv.store.createRun({ runName: "served" });
      await srv.registry.createRegisteredModel("m");
      const put = await fetch(
        `${srv.url}/api/2.0/mlflow-artifacts/artifacts/${
          run.info.artifactUri.replace("mlflow-artifacts:/", "")
        }/model/MLmodel`,
        { method: "PUT", body: "served" },
      );
      await put.body?.cancel();
      assert.equal(put.status, 200);
      const source = `runs:/${run.info.runId}/model`;
      await srv.registry.createModelVersion({ name: "m", source, runId: run.info.runId });
      const out = await mlt([
        "models",
        "download",
        "models:/m/1",
        "-d",
        dir,
        "--tracking-uri",
        srv.url,
      ]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(await Deno.readTextFile(join(dir, "MLmodel")), "served");
      const list = await mlt(["models", "list", "--json", "--tracking-uri", srv.url]);
      assert.deepEqual(JSON.parse(list.stdout).map((m: { name: string }) => m.name), ["m"]);
    });
  } finally {
    await srv.close();
  }
});
