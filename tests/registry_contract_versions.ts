/**
 * The registry contract's cases for model versions: numbering, sources and download URIs,
 * descriptions, stages and `get-latest-versions`, deletion, version tags, aliases and the
 * model version search. Registered by registryContract (registry_contract.ts).
 */
import assert from "node:assert/strict";
import type { ModelRegistryStore } from "../src/store/registry.ts";
import { modelWith, type RegistryTest, tagMap } from "./registry_contract.ts";
import { rejectsWith } from "./store_contract.ts";

const RUN = "0123456789abcdef0123456789abcdef";

function versions(xs: { version: number }[]): number[] {
  return xs.map((x) => x.version);
}

/** Registers the version cases with `test`. */
export function registryVersionCases(test: RegistryTest): void {
  test("versions are numbered 1, 2, 3 and keep their fields", async (r) => {
    const m = await r.createRegisteredModel("m");
    const v1 = await r.createModelVersion({
      name: "m",
      source: `runs:/${RUN}/model`,
      runId: RUN,
      tags: [{ key: "k", value: "v" }, { key: "k", value: "w" }],
      runLink: "http://link",
      description: "first",
    });
    assert.deepEqual(
      [v1.name, v1.version, v1.currentStage, v1.status, v1.source, v1.runId, v1.runLink],
      ["m", 1, "None", "READY", `runs:/${RUN}/model`, RUN, "http://link"],
    );
    assert.deepEqual([v1.description, tagMap(v1), v1.aliases], ["first", { k: "w" }, []]);
    assert.equal(v1.lastUpdatedTimestamp, v1.creationTimestamp);
    const got = await r.getModelVersion("m", "1");
    // Unset fields may be absent or undefined.
    const plain = (v: object) => JSON.parse(JSON.stringify({ ...v, tags: tagMap(v1) }));
    assert.deepEqual(plain(got), plain(v1));
    assert.deepEqual(tagMap(got), tagMap(v1));
    assert.equal((await r.createModelVersion({ name: "m", source: "s3://b/2" })).version, 2);
    assert.equal((await r.createModelVersion({ name: "m", source: "s3://b/3" })).version, 3);
    // Creating a version is an update of its model.
    assert.ok((await r.getRegisteredModel("m")).lastUpdatedTimestamp! > m.lastUpdatedTimestamp!);
    assert.equal(await r.getModelVersionDownloadUri("m", 1), `runs:/${RUN}/model`);
    assert.equal(await r.getModelVersionDownloadUri("m", "3"), "s3://b/3");
  });

  test("unknown models and versions are 404s; a version that is not a number is a 400", async (r) => {
    await modelWith(r, "m", 1);
    await rejectsWith(
      r.createModelVersion({ name: "nope", source: "s3://b/x" }),
      "RESOURCE_DOES_NOT_EXIST",
    );
    await rejectsWith(r.getModelVersion("m", "2"), "RESOURCE_DOES_NOT_EXIST", "version=2");
    await rejectsWith(r.getModelVersion("nope", "1"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(r.getModelVersion("m", "x"), "INVALID_PARAMETER_VALUE", "'x'");
    await rejectsWith(r.updateModelVersion("m", "9", "d"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(r.deleteModelVersion("m", "9"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(r.getModelVersionDownloadUri("m", "9"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(
      r.setModelVersionTag("m", "9", { key: "k", value: "v" }),
      "RESOURCE_DOES_NOT_EXIST",
    );
  });

  test("a models:/<name>/<version> source downloads from that version's location", async (r) => {
    await r.createRegisteredModel("src");
    await r.createModelVersion({ name: "src", source: "s3://bucket/model" });
    await r.createRegisteredModel("copy");
    const v = await r.createModelVersion({ name: "copy", source: "models:/src/1" });
    assert.equal(v.source, "models:/src/1");
    assert.equal(await r.getModelVersionDownloadUri("copy", "1"), "s3://bucket/model");
    await rejectsWith(
      r.createModelVersion({ name: "copy", source: "models:/src/7" }),
      "RESOURCE_DOES_NOT_EXIST",
    );
  });

  test("updating a version's description", async (r) => {
    const [v] = await modelWith(r, "m", 1);
    const upd = await r.updateModelVersion("m", "1", "now described");
    assert.equal(upd.description, "now described");
    assert.ok(upd.lastUpdatedTimestamp! > v.lastUpdatedTimestamp!);
    assert.equal((await r.getModelVersion("m", 1)).description, "now described");
    await r.updateModelVersion("m", "1", undefined);
    assert.equal((await r.getModelVersion("m", 1)).description, undefined);
  });

  test("stage transitions, archive_existing_versions and get-latest-versions", async (r) => {
    await modelWith(r, "m", 4);
    const p = await r.transitionModelVersionStage("m", "1", "production", false);
    assert.equal(p.currentStage, "Production");
    await r.transitionModelVersionStage("m", "2", "Staging", false);
    await r.transitionModelVersionStage("m", "3", "PRODUCTION", true);
    assert.equal((await r.getModelVersion("m", "1")).currentStage, "Archived");
    assert.equal((await r.getModelVersion("m", "2")).currentStage, "Staging");
    await rejectsWith(
      r.transitionModelVersionStage("m", "4", "bogus", false),
      "INVALID_PARAMETER_VALUE",
      "Invalid Model Version stage: bogus",
    );
    await rejectsWith(
      r.transitionModelVersionStage("m", "4", "None", true),
      "INVALID_PARAMETER_VALUE",
      "not an Active stage",
    );
    await rejectsWith(
      r.transitionModelVersionStage("m", "9", "Staging", false),
      "RESOURCE_DOES_NOT_EXIST",
    );
    const latest = await r.getLatestVersions("m");
    assert.deepEqual(latest.map((v) => [v.version, v.currentStage]), [
      [1, "Archived"],
      [2, "Staging"],
      [3, "Production"],
      [4, "None"],
    ]);
    assert.deepEqual(versions(await r.getLatestVersions("m", ["production", "None"])), [3, 4]);
    assert.deepEqual(versions(await r.getLatestVersions("m", ["staging"])), [2]);
    await rejectsWith(r.getLatestVersions("m", ["bad"]), "INVALID_PARAMETER_VALUE");
  });

  test("a deleted version is gone, keeps its number, and takes its aliases along", async (r) => {
    await modelWith(r, "m", 3);
    await r.setRegisteredModelAlias("m", "champion", "2");
    await r.setModelVersionTag("m", "2", { key: "k", value: "v" });
    await r.deleteModelVersion("m", "2");
    await rejectsWith(r.getModelVersion("m", "2"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(r.deleteModelVersion("m", "2"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(r.getModelVersionByAlias("m", "champion"), "INVALID_PARAMETER_VALUE");
    assert.deepEqual((await r.getRegisteredModel("m")).aliases, []);
    assert.deepEqual(versions((await r.searchModelVersions({ filter: "name='m'" })).items), [3, 1]);
    assert.deepEqual(versions(await r.getLatestVersions("m")), [3]);
    assert.equal((await r.createModelVersion({ name: "m", source: "s3://b/x" })).version, 4);
  });

  test("model version tags: set, overwrite, delete", async (r) => {
    await modelWith(r, "m", 1);
    await r.setModelVersionTag("m", "1", { key: "k", value: "1" });
    await r.setModelVersionTag("m", 1, { key: "k", value: "2" });
    await r.setModelVersionTag("m", "1", { key: "a/b", value: "" });
    assert.deepEqual(tagMap(await r.getModelVersion("m", "1")), { k: "2", "a/b": "" });
    await r.deleteModelVersionTag("m", "1", "k");
    await r.deleteModelVersionTag("m", "1", "absent");
    assert.deepEqual(tagMap(await r.getModelVersion("m", "1")), { "a/b": "" });
    await rejectsWith(
      r.setModelVersionTag("m", "1", { key: "../x", value: "v" }),
      "INVALID_PARAMETER_VALUE",
    );
  });

  test("aliases: set, move, get by alias, delete; reserved and malformed names refused", async (r) => {
    const before = await r.createRegisteredModel("m");
    await r.createModelVersion({ name: "m", source: "s3://b/1" });
    await r.createModelVersion({ name: "m", source: "s3://b/2" });
    await r.setRegisteredModelAlias("m", "champion", "1");
    await r.setRegisteredModelAlias("m", "challenger", "1");
    assert.deepEqual((await r.getModelVersion("m", "1")).aliases.sort(), [
      "challenger",
      "champion",
    ]);
    await r.setRegisteredModelAlias("m", "champion", "2");
    const byAlias = await r.getModelVersionByAlias("m", "champion");
    assert.deepEqual([byAlias.version, byAlias.aliases], [2, ["champion"]]);
    const model = await r.getRegisteredModel("m");
    assert.deepEqual(
      [...model.aliases].sort((a, b) => a.alias < b.alias ? -1 : 1),
      [{ alias: "challenger", version: 1 }, { alias: "champion", version: 2 }],
    );
    assert.ok(model.lastUpdatedTimestamp! > before.lastUpdatedTimestamp!);
    assert.equal((await r.getModelVersionByAlias("m", "LATEST")).version, 2);
    for (const bad of ["latest", "Latest", "v1", "V12"]) {
      await rejectsWith(
        r.setRegisteredModelAlias("m", bad, "1"),
        "INVALID_PARAMETER_VALUE",
        "reserved",
      );
    }
    for (const bad of ["a b", "a/b", "..", ""]) {
      await rejectsWith(r.setRegisteredModelAlias("m", bad, "1"), "INVALID_PARAMETER_VALUE");
    }
    await rejectsWith(r.setRegisteredModelAlias("m", "x", "9"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(r.setRegisteredModelAlias("nope", "x", "1"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(
      r.getModelVersionByAlias("m", "nope"),
      "INVALID_PARAMETER_VALUE",
      "not found",
    );
    await r.deleteRegisteredModelAlias("m", "challenger");
    await r.deleteRegisteredModelAlias("m", "never-set");
    assert.deepEqual((await r.getModelVersion("m", "1")).aliases, []);
    await r.createRegisteredModel("empty");
    await rejectsWith(r.getModelVersionByAlias("empty", "latest"), "RESOURCE_DOES_NOT_EXIST");
  });

  test("version search: filters, default order and paging", async (r) => {
    await modelWith(r, "a", 3);
    await modelWith(r, "b", 2);
    await r.createModelVersion({ name: "b", source: `runs:/${RUN}/m`, runId: RUN });
    await r.setModelVersionTag("a", "2", { key: "k", value: "v" });
    const find = async (filter?: string, orderBy?: string[]) =>
      (await r.searchModelVersions({ filter, orderBy })).items.map((v) => `${v.name}${v.version}`);
    // Newest update first.
    assert.deepEqual(await find(), ["b3", "b2", "b1", "a3", "a2", "a1"]);
    assert.deepEqual(await find("name = 'a'"), ["a3", "a2", "a1"]);
    assert.deepEqual(await find("name = 'a' and version_number > 1"), ["a3", "a2"]);
    assert.deepEqual(await find("version_number <= '1'"), ["b1", "a1"]);
    assert.deepEqual(await find(`run_id IN ('${RUN}')`), ["b3"]);
    assert.deepEqual(await find("source_path LIKE 's3://b/a/%'"), ["a3", "a2", "a1"]);
    assert.deepEqual(await find("tags.k = 'v'"), ["a2"]);
    assert.deepEqual(await find("name IN ('a','b')", ["version_number ASC"]), [
      "a1",
      "b1",
      "a2",
      "b2",
      "a3",
      "b3",
    ]);
    for (const bad of ["foo = 'x'", "version_number > 2.5", "current_stage = 'None'", "name = x"]) {
      await rejectsWith(r.searchModelVersions({ filter: bad }), "INVALID_PARAMETER_VALUE");
    }
    await rejectsWith(r.searchModelVersions({ maxResults: 0 }), "INVALID_PARAMETER_VALUE");
    await rejectsWith(r.searchModelVersions({ orderBy: ["bogus"] }), "INVALID_PARAMETER_VALUE");
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const p = await r.searchModelVersions({ maxResults: 4, pageToken: token });
      seen.push(...p.items.map((v) => `${v.name}${v.version}`));
      token = p.nextPageToken;
    } while (token);
    assert.deepEqual(seen, ["b3", "b2", "b1", "a3", "a2", "a1"]);
  });

  test("version search hides the versions of prompts", async (r: ModelRegistryStore) => {
    await modelWith(r, "model", 1);
    await r.createRegisteredModel("prompt");
    await r.createModelVersion({
      name: "prompt",
      source: "dummy-source",
      tags: [{ key: "mlflow.prompt.is_prompt", value: "true" }],
    });
    assert.deepEqual(
      (await r.searchModelVersions({})).items.map((v) => v.name),
      ["model"],
    );
    assert.deepEqual(
      (await r.searchModelVersions({ filter: "tags.`mlflow.prompt.is_prompt` = 'true'" })).items
        .map((v) => v.name),
      ["prompt"],
    );
  });
}
