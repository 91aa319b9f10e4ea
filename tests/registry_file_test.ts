/**
 * The file store's registry: the shared contract over a temp `mlruns`, plus what only it has:
 * MLflow's exact files (meta.yaml bytes, tag and alias files), names that must not become
 * paths, and consecutive version numbers from concurrent processes.
 */
import { FileRegistryStore } from "../src/store/file/registry_store.ts";
import { registryContract } from "./registry_contract.ts";
import { fakeClock } from "./store_contract.ts";
import { versionRace } from "./helpers/registry_race.ts";

registryContract("file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-registry-" });
  const registry = new FileRegistryStore(`${dir}/mlruns`, { clock: fakeClock(), warn: () => {} });
  return { registry, cleanup: () => Deno.remove(dir, { recursive: true }) };
});

Deno.test("file registry: 8 processes × 10 new versions of one model are numbered 1..80", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-registry-race-" });
  const registry = new FileRegistryStore(`${dir}/mlruns`, { warn: () => {} });
  try {
    await versionRace(registry, `${dir}/mlruns`);
  } finally {
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});
