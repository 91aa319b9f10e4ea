/**
 * The PostgreSQL registry on a throwaway cluster: the shared contract (a fresh database per
 * test), consecutive version numbers from 8 concurrent processes, and sharing the tracking
 * store's pool.
 */
import assert from "node:assert/strict";
import { loadRegistryStore } from "../src/store/open_registry.ts";
import { PgRegistryStore } from "../src/store/postgres/pg_registry.ts";
import { PgStore } from "../src/store/postgres/pg_store.ts";
import { registryContract } from "./registry_contract.ts";
import { fakeClock, rejectsWith } from "./store_contract.ts";
import { versionRace } from "./helpers/registry_race.ts";
import { sharedCluster, stopClusterTest } from "./helpers/postgres.ts";

function freshUrl(): string {
  const cluster = sharedCluster();
  return cluster.url(cluster.createDatabase());
}

registryContract("postgres", () => {
  const registry = new PgRegistryStore(freshUrl(), { clock: fakeClock(), warn: () => {} });
  return Promise.resolve({ registry, cleanup: () => Promise.resolve() });
});

Deno.test("postgres registry: 8 processes × 10 new versions of one model are numbered 1..80", async () => {
  const uri = freshUrl();
  const registry = new PgRegistryStore(uri, { warn: () => {} });
  try {
    await versionRace(registry, uri);
  } finally {
    await registry.close();
  }
});

Deno.test("postgres registry: shares the tracking store's pool; deleting a model keeps runs", async () => {
  const uri = freshUrl();
  const tracking = new PgStore(uri, { warn: () => {} });
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
    const again = new PgRegistryStore(uri, { warn: () => {} });
    await rejectsWith(again.getRegisteredModel("m"), "RESOURCE_DOES_NOT_EXIST");
    await again.close();
  } finally {
    await tracking.close();
  }
});

stopClusterTest();
