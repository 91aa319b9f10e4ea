/**
 * The file store's registry: the shared contract over a temp `mlruns`, plus what only it has:
 * MLflow's exact files (meta.yaml bytes, tag and alias files), names that must not become
 * paths, and consecutive version numbers from concurrent processes.
 */
import assert from "node:assert/strict";
import { FileRegistryStore } from "../src/store/file/registry_store.ts";
import { registryContract } from "./registry_contract.ts";
import { fakeClock, rejectsWith } from "./store_contract.ts";
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

Deno.test("file registry: names never become other paths; odd folders are skipped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-registry-paths-" });
  const warnings: string[] = [];
  const r = new FileRegistryStore(`${dir}/mlruns`, { warn: (m) => warnings.push(m) });
  try {
    for (const bad of ["a%2Fb", "tab\there", "back\\slash", "x".repeat(256), "é".repeat(128)]) {
      await rejectsWith(r.createRegisteredModel(bad), "INVALID_PARAMETER_VALUE");
    }
    await r.createRegisteredModel("ok");
    // A folder without meta.yaml (an interrupted delete) is no model, and no error.
    await Deno.mkdir(`${dir}/mlruns/models/half-deleted/version-1`, { recursive: true });
    await Deno.mkdir(`${dir}/mlruns/models/broken`, { recursive: true });
    await Deno.writeTextFile(`${dir}/mlruns/models/broken/meta.yaml`, "[not, a, mapping]");
    assert.deepEqual((await r.searchRegisteredModels({})).items.map((m) => m.name), ["ok"]);
    await rejectsWith(r.getRegisteredModel("half-deleted"), "RESOURCE_DOES_NOT_EXIST");
    assert.equal(warnings.length, 1, warnings.join("\n"));
    // The remains go and the name is free again; a folder MLflow cannot read either stays.
    await r.createRegisteredModel("half-deleted");
    const v = await r.createModelVersion({ name: "half-deleted", source: "s3://b/x" });
    assert.equal(v.version, 1);
    await rejectsWith(r.createRegisteredModel("broken"), "RESOURCE_ALREADY_EXISTS");
    await rejectsWith(r.renameRegisteredModel("ok", "broken"), "RESOURCE_ALREADY_EXISTS");
    assert.equal(
      await Deno.readTextFile(`${dir}/mlruns/models/broken/meta.yaml`),
      "[not, a, mapping]",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file registry: meta.yaml, tags and aliases as MLflow writes them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-registry-files-" });
  const r = new FileRegistryStore(`${dir}/mlruns`, { clock: fakeClock(), warn: () => {} });
  try {
    await r.createRegisteredModel("m", [{ key: "a/b", value: "x" }], "yes");
    await r.createModelVersion({ name: "m", source: "s3://b/m", description: "" });
    await r.setRegisteredModelAlias("m", "champion", "1");
    const root = `${dir}/mlruns/models/m`;
    assert.equal(
      await Deno.readTextFile(`${root}/meta.yaml`),
      "aliases:\n  champion: '1'\ncreation_timestamp: 1732000000000\ndeployment_job_id: null\n" +
        "deployment_job_state: null\ndescription: 'yes'\nlast_updated_timestamp: 1732000000001\n" +
        "name: m\nworkspace: default\n",
    );
    assert.equal(
      await Deno.readTextFile(`${root}/version-1/meta.yaml`),
      "creation_timestamp: 1732000000001\ncurrent_stage: None\ndeployment_job_state: null\n" +
        "description: ''\nlast_updated_timestamp: 1732000000001\nmodel_id: null\nname: m\n" +
        "run_id: null\nrun_link: null\nsource: s3://b/m\nstatus: READY\nstatus_message: null\n" +
        "storage_location: s3://b/m\nuser_id: null\nversion: 1\nworkspace: default\n",
    );
    assert.equal(await Deno.readTextFile(`${root}/tags/a/b`), "x");
    assert.equal(await Deno.readTextFile(`${root}/aliases/champion`), "1");
    // No temp file is left among the keys.
    const names = [...Deno.readDirSync(root)].map((e) => e.name).sort();
    assert.deepEqual(names, ["aliases", "meta.yaml", "tags", "version-1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
