/** The registries' race: 8 processes × 10 `create_model_version` calls on one model. */
import assert from "node:assert/strict";
import type { ModelRegistryStore } from "../../src/store/registry.ts";
import { storeWorkers } from "./process.ts";

const WORKER = new URL("./registry_worker.ts", import.meta.url).pathname;

/**
 * Creates model "race" in `registry`, lets 8 workers on `uri` add 10 versions each, and checks
 * that the numbers are exactly 1..80: consecutive, without gaps or duplicates.
 */
export async function versionRace(registry: ModelRegistryStore, uri: string): Promise<void> {
  await registry.createRegisteredModel("race");
  const results = await storeWorkers(8, () => ["versions", uri, "race", "10"], WORKER);
  const numbers = results.flatMap((r) => {
    assert.ok(r.ok, r.message);
    return JSON.parse(r.value!) as number[];
  });
  assert.deepEqual([...numbers].sort((a, b) => a - b), Array.from({ length: 80 }, (_, i) => i + 1));
  const found = await registry.searchModelVersions({ filter: "name = 'race'" });
  assert.equal(found.items.length, 80);
  assert.equal((await registry.getRegisteredModel("race")).latestVersions[0].version, 80);
}
