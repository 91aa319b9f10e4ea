/**
 * The behaviour every ModelRegistryStore must have, written against the interface only, so the
 * file, SQLite and REST registries run the same cases: `registryContract("file", make)`. Model
 * cases live here; versions, stages and aliases in registry_contract_versions.ts.
 */
import assert from "node:assert/strict";
import type { ModelVersion, RegisteredModel } from "../src/registry_model.ts";
import type { ModelRegistryStore } from "../src/store/registry.ts";
import { registryVersionCases } from "./registry_contract_versions.ts";
import { rejectsWith, T0 } from "./store_contract.ts";

/** A fresh, empty registry (its clock starts at T0 and ticks 1 ms per call) and its disposal. */
export type MakeRegistry = () => Promise<
  { registry: ModelRegistryStore; cleanup(): Promise<void> }
>;

/** Registers one contract case. */
export type RegistryTest = (title: string, fn: (r: ModelRegistryStore) => Promise<void>) => void;

/** Creates a model with `n` versions (sources `s3://b/<name>/<i>`). */
export async function modelWith(
  r: ModelRegistryStore,
  name: string,
  n = 0,
): Promise<ModelVersion[]> {
  await r.createRegisteredModel(name);
  const out: ModelVersion[] = [];
  for (let i = 1; i <= n; i++) {
    out.push(await r.createModelVersion({ name, source: `s3://b/${name}/${i}` }));
  }
  return out;
}

/** The names of a page of models. */
export function names(ms: { name: string }[]): string[] {
  return ms.map((m) => m.name);
}

/** Tags as a key → value object, whatever their order. */
export function tagMap(x: { tags: { key: string; value: string }[] }): Record<string, string> {
  return Object.fromEntries(x.tags.map((t) => [t.key, t.value]));
}

const BAD_NAMES = ["a/b", "a:b", "..", "", "  ", "../x", "./a", "a/../b"];

/** Registers the contract's Deno tests for one registry; `skip` maps titles to reasons. */
export function registryContract(
  name: string,
  make: MakeRegistry,
  skip: Record<string, string> = {},
): void {
  const test: RegistryTest = (title, fn) => {
    Deno.test({
      name: `${name} registry: ${title}`,
      ignore: title in skip,
      fn: async () => {
        const { registry, cleanup } = await make();
        try {
          await fn(registry);
        } finally {
          await registry.close();
          await cleanup();
        }
      },
    });
  };

  test("create and get a registered model with tags and a description", async (r) => {
    const made = await r.createRegisteredModel("m1", [{ key: "t", value: "v" }, {
      key: "a/b",
      value: "",
    }], "desc");
    assert.equal(made.name, "m1");
    assert.ok(made.creationTimestamp! >= T0);
    assert.equal(made.lastUpdatedTimestamp, made.creationTimestamp);
    const got = await r.getRegisteredModel("m1");
    assert.deepEqual(tagMap(got), { t: "v", "a/b": "" });
    assert.equal(got.description, "desc");
    assert.deepEqual(got.latestVersions, []);
    assert.deepEqual(got.aliases, []);
    assert.equal(got.creationTimestamp, made.creationTimestamp);
  });

  test("a taken name is RESOURCE_ALREADY_EXISTS; an unknown one RESOURCE_DOES_NOT_EXIST", async (r) => {
    await r.createRegisteredModel("dup");
    await rejectsWith(r.createRegisteredModel("dup"), "RESOURCE_ALREADY_EXISTS", "name=dup");
    await rejectsWith(r.getRegisteredModel("nope"), "RESOURCE_DOES_NOT_EXIST", "name=nope");
    await rejectsWith(r.updateRegisteredModel("nope", "x"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(r.deleteRegisteredModel("nope"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(r.renameRegisteredModel("nope", "x"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(r.getLatestVersions("nope"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(
      r.setRegisteredModelTag("nope", { key: "k", value: "v" }),
      "RESOURCE_DOES_NOT_EXIST",
    );
    await rejectsWith(r.deleteRegisteredModelTag("nope", "k"), "RESOURCE_DOES_NOT_EXIST");
  });

  test("names with '/', ':', '..' or only spaces are refused everywhere", async (r) => {
    for (const bad of BAD_NAMES) {
      await rejectsWith(r.createRegisteredModel(bad), "INVALID_PARAMETER_VALUE");
      await rejectsWith(r.getRegisteredModel(bad), "INVALID_PARAMETER_VALUE");
    }
    await r.createRegisteredModel("ok");
    await rejectsWith(r.renameRegisteredModel("ok", "a/b"), "INVALID_PARAMETER_VALUE");
    await rejectsWith(r.renameRegisteredModel("ok", ""), "INVALID_PARAMETER_VALUE", "new_name");
    await rejectsWith(
      r.createModelVersion({ name: "../ok", source: "s3://b/x" }),
      "INVALID_PARAMETER_VALUE",
    );
    // Odd but valid names round-trip.
    for (const odd of [".hidden", "with space", "ünïcödé ✓", "a.b-c_d"]) {
      await r.createRegisteredModel(odd);
      assert.equal((await r.getRegisteredModel(odd)).name, odd);
    }
  });

  test("updating the description sets it (or clears it) and the update time", async (r) => {
    const made = await r.createRegisteredModel("m", [], "old");
    const upd = await r.updateRegisteredModel("m", "new");
    assert.equal(upd.description, "new");
    assert.ok(upd.lastUpdatedTimestamp! > made.lastUpdatedTimestamp!);
    assert.equal((await r.getRegisteredModel("m")).description, "new");
    await r.updateRegisteredModel("m", undefined);
    assert.equal((await r.getRegisteredModel("m")).description, undefined);
  });

  test("renaming moves versions, tags and aliases; the old name is gone", async (r) => {
    await modelWith(r, "old", 2);
    await r.setRegisteredModelTag("old", { key: "t", value: "v" });
    await r.setModelVersionTag("old", "1", { key: "vt", value: "1" });
    await r.setRegisteredModelAlias("old", "champion", "2");
    await r.createRegisteredModel("taken");
    await rejectsWith(r.renameRegisteredModel("old", "taken"), "RESOURCE_ALREADY_EXISTS");
    const renamed = await r.renameRegisteredModel("old", "new");
    assert.equal(renamed.name, "new");
    assert.deepEqual(renamed.latestVersions.map((v) => [v.name, v.version]), [["new", 2]]);
    await rejectsWith(r.getRegisteredModel("old"), "RESOURCE_DOES_NOT_EXIST");
    const got = await r.getRegisteredModel("new");
    assert.deepEqual(tagMap(got), { t: "v" });
    assert.deepEqual(got.aliases, [{ alias: "champion", version: 2 }]);
    const v1 = await r.getModelVersion("new", "1");
    assert.equal(v1.name, "new");
    assert.deepEqual(tagMap(v1), { vt: "1" });
    assert.equal((await r.getModelVersionByAlias("new", "champion")).version, 2);
    assert.equal((await r.createModelVersion({ name: "new", source: "s3://b/x" })).version, 3);
  });

  test("deleting a model removes its versions, tags and aliases; the name is free again", async (r) => {
    await modelWith(r, "gone", 2);
    await r.setRegisteredModelTag("gone", { key: "t", value: "v" });
    await r.setRegisteredModelAlias("gone", "a", "1");
    await r.deleteRegisteredModel("gone");
    await rejectsWith(r.getRegisteredModel("gone"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(r.getModelVersion("gone", "1"), "RESOURCE_DOES_NOT_EXIST");
    assert.deepEqual((await r.searchModelVersions({ filter: "name = 'gone'" })).items, []);
    await r.createRegisteredModel("gone");
    const fresh = await r.getRegisteredModel("gone");
    assert.deepEqual([fresh.tags, fresh.aliases, fresh.latestVersions], [[], [], []]);
    assert.equal((await r.createModelVersion({ name: "gone", source: "s3://b/y" })).version, 1);
  });

  test("registered model tags: set, overwrite, delete (an absent key is fine)", async (r) => {
    const made = await r.createRegisteredModel("m");
    await r.setRegisteredModelTag("m", { key: "k", value: "1" });
    await r.setRegisteredModelTag("m", { key: "k", value: "2" });
    await r.setRegisteredModelTag("m", { key: "nested/key", value: "x" });
    const got = await r.getRegisteredModel("m");
    assert.deepEqual(tagMap(got), { k: "2", "nested/key": "x" });
    // Tags leave the model's update time alone (MLflow's SQL store).
    assert.equal(got.lastUpdatedTimestamp, made.lastUpdatedTimestamp);
    await r.deleteRegisteredModelTag("m", "k");
    await r.deleteRegisteredModelTag("m", "absent");
    assert.deepEqual(tagMap(await r.getRegisteredModel("m")), { "nested/key": "x" });
    for (const key of ["../x", "/abs", "a//b", "a/../b"]) {
      await rejectsWith(
        r.setRegisteredModelTag("m", { key, value: "v" }),
        "INVALID_PARAMETER_VALUE",
      );
    }
    await rejectsWith(
      r.setRegisteredModelTag("m", { key: "big", value: "x".repeat(100_001) }),
      "INVALID_PARAMETER_VALUE",
    );
  });

  test("search: filters on name and tags, with IN, LIKE and ILIKE", async (r) => {
    for (const n of ["alpha", "beta", "Gamma", "alphabet"]) await r.createRegisteredModel(n);
    await r.setRegisteredModelTag("beta", { key: "team", value: "ml" });
    await r.setRegisteredModelTag("alpha", { key: "team", value: "ops" });
    const find = async (filter: string) =>
      names((await r.searchRegisteredModels({ filter })).items);
    assert.deepEqual(await find(""), ["Gamma", "alpha", "alphabet", "beta"]);
    assert.deepEqual(await find("name = 'alpha'"), ["alpha"]);
    assert.deepEqual(await find("name != 'alpha'"), ["Gamma", "alphabet", "beta"]);
    assert.deepEqual(await find("name LIKE 'alpha%'"), ["alpha", "alphabet"]);
    assert.deepEqual(await find("name LIKE 'ALPHA%'"), []);
    assert.deepEqual(await find("name ILIKE 'ALPHA%'"), ["alpha", "alphabet"]);
    assert.deepEqual(await find("name IN ('beta', 'Gamma')"), ["Gamma", "beta"]);
    assert.deepEqual(await find("name NOT IN ('beta', 'Gamma')"), ["alpha", "alphabet"]);
    assert.deepEqual(await find("tags.team = 'ml'"), ["beta"]);
    assert.deepEqual(await find("tags.team != 'ml'"), ["alpha"]);
    assert.deepEqual(await find("tags.`team` LIKE '%s' and name LIKE 'a%'"), ["alpha"]);
    for (
      const bad of [
        "creation_timestamp > 0",
        "name = alpha",
        "tags.t IN ('a')",
        "a = 'b' OR c = 'd'",
      ]
    ) {
      await rejectsWith(r.searchRegisteredModels({ filter: bad }), "INVALID_PARAMETER_VALUE");
    }
  });

  test("search: order_by, paging and max_results limits", async (r) => {
    for (const n of ["c", "a", "d", "b", "e"]) await r.createRegisteredModel(n);
    await r.updateRegisteredModel("c", "touch");
    const page = (req: Parameters<ModelRegistryStore["searchRegisteredModels"]>[0]) =>
      r.searchRegisteredModels(req);
    assert.deepEqual(names((await page({ orderBy: ["name DESC"] })).items), [
      "e",
      "d",
      "c",
      "b",
      "a",
    ]);
    assert.deepEqual(
      names((await page({ orderBy: ["last_updated_timestamp DESC"] })).items),
      ["c", "e", "b", "d", "a"],
    );
    assert.deepEqual(names((await page({ orderBy: ["timestamp ASC"] })).items), [
      "a",
      "d",
      "b",
      "e",
      "c",
    ]);
    assert.deepEqual(names((await page({ orderBy: ["creation_timestamp"] })).items), [
      "c",
      "a",
      "d",
      "b",
      "e",
    ]);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const p = await page({ maxResults: 2, pageToken: token });
      seen.push(...names(p.items));
      token = p.nextPageToken;
      pages++;
    } while (token);
    assert.deepEqual([seen, pages], [["a", "b", "c", "d", "e"], 3]);
    await rejectsWith(page({ maxResults: 1001 }), "INVALID_PARAMETER_VALUE", "max_results");
    await rejectsWith(page({ orderBy: ["bogus"] }), "INVALID_PARAMETER_VALUE");
    await rejectsWith(page({ orderBy: ["name", "name DESC"] }), "INVALID_PARAMETER_VALUE");
    await rejectsWith(page({ pageToken: "xyz" }), "INVALID_PARAMETER_VALUE", "page token");
  });

  test("search hides prompts unless the filter asks for them", async (r) => {
    await r.createRegisteredModel("model");
    await r.createRegisteredModel("prompt", [{ key: "mlflow.prompt.is_prompt", value: "true" }]);
    const find = async (filter?: string) =>
      names((await r.searchRegisteredModels({ filter })).items);
    assert.deepEqual(await find(), ["model"]);
    assert.deepEqual(await find("tags.`mlflow.prompt.is_prompt` = 'true'"), ["prompt"]);
    assert.deepEqual(await find("tags.`mlflow.prompt.is_prompt` = 'false'"), ["model"]);
  });

  test("latest versions per stage inside a registered model", async (r) => {
    await modelWith(r, "m", 3);
    await r.transitionModelVersionStage("m", "2", "Production", false);
    const stages = (m: RegisteredModel) => m.latestVersions.map((v) => [v.version, v.currentStage]);
    // registered-models/get: in the order each stage first appears; search: by stage name.
    assert.deepEqual(stages(await r.getRegisteredModel("m")), [[3, "None"], [2, "Production"]]);
    const [found] = (await r.searchRegisteredModels({ filter: "name = 'm'" })).items;
    assert.deepEqual(stages(found), [[3, "None"], [2, "Production"]]);
    await r.transitionModelVersionStage("m", "1", "Archived", false);
    const [again] = (await r.searchRegisteredModels({})).items;
    assert.deepEqual(stages(again), [[1, "Archived"], [3, "None"], [2, "Production"]]);
    assert.deepEqual(stages(await r.getRegisteredModel("m")), [
      [1, "Archived"],
      [2, "Production"],
      [3, "None"],
    ]);
  });

  registryVersionCases(test);
}
