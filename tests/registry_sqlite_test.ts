/**
 * The SQLite store's registry: the shared contract on an in-memory database and on a file, plus
 * what only it has: MLflow's tables as MLflow's SQL store fills them, sharing the tracking
 * store's connections, and consecutive version numbers from concurrent processes.
 */
import assert from "node:assert/strict";
import { loadRegistryStore } from "../src/store/open_registry.ts";
import { SqliteRegistryStore } from "../src/store/sqlite/registry_store.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import { registryContract } from "./registry_contract.ts";
import { fakeClock, rejectsWith } from "./store_contract.ts";
import { versionRace } from "./helpers/registry_race.ts";

registryContract("sqlite (memory)", () => {
  const registry = new SqliteRegistryStore("sqlite:///:memory:", {
    clock: fakeClock(),
    warn: () => {},
  });
  return Promise.resolve({ registry, cleanup: () => Promise.resolve() });
});

registryContract("sqlite (file)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-registry-sqlite-" });
  const registry = new SqliteRegistryStore(`sqlite:///${dir}/mlflow.db`, {
    clock: fakeClock(),
    warn: () => {},
  });
  return { registry, cleanup: () => Deno.remove(dir, { recursive: true }) };
});

Deno.test("sqlite registry: 8 processes × 10 new versions of one model are numbered 1..80", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-registry-race-" });
  const uri = `sqlite:///${dir}/mlflow.db`;
  const registry = new SqliteRegistryStore(uri, { warn: () => {} });
  try {
    await versionRace(registry, uri);
  } finally {
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlite registry: shares the tracking store's database; deleting a model keeps runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-registry-shared-" });
  const uri = `sqlite:///${dir}/mlflow.db`;
  const tracking = new SqliteStore(uri, { artifactRoot: `${dir}/artifacts`, warn: () => {} });
  try {
    const registry = await loadRegistryStore(undefined, { warn: () => {} }, tracking);
    const run = await tracking.createRun({ runName: "train" });
    await registry.createRegisteredModel("m");
    await registry.createModelVersion({
      name: "m",
      source: `runs:/${run.info.runId}/model`,
      runId: run.info.runId,
    });
    await registry.deleteRegisteredModel("m");
    await registry.close(); // shared: the tracking store still works
    assert.equal((await tracking.getRun(run.info.runId)).info.runName, "train");
    const again = new SqliteRegistryStore(uri, { warn: () => {} });
    await rejectsWith(again.getRegisteredModel("m"), "RESOURCE_DOES_NOT_EXIST");
    await again.close();
  } finally {
    await tracking.close();
    await Deno.remove(dir, { recursive: true });
  }
});
