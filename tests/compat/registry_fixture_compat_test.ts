/**
 * Registry interop, reading: mlt reads the registries MLflow 3.17.2 wrote (tests/fixtures/
 * registry-3.17.2/ and registry-3.17.2.db, see write_registry.py) exactly as MLflow reads them,
 * without changing a byte of the tree; and MLflow still reads the committed fixtures as recorded.
 * Needs the venv python (python.ts); a missing one fails the tests.
 */
import assert from "node:assert/strict";
import { FileRegistryStore } from "../../src/store/file/registry_store.ts";
import type { ModelRegistryStore } from "../../src/store/registry.ts";
import { SqliteRegistryStore } from "../../src/store/sqlite/registry_store.ts";
import { copyTree, FIXTURES, readJson, snapshot } from "./file_tree.ts";
import { runPython } from "./python.ts";
import { dumpRegistry } from "./registry_dump.ts";

const NAME = "registry-3.17.2";
const READ = new URL("./read_registry.py", import.meta.url).pathname;

type Json = Record<string, unknown>;

async function expected(file: string): Promise<Json> {
  const { mlflow_version: _, ...rest } = await readJson<Json>(`${FIXTURES}/${file}`);
  return rest;
}

async function inCopy(fn: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "mlt-registry-fixture-" });
  try {
    await copyTree(`${FIXTURES}/${NAME}`, `${tmp}/mlruns`);
    await Deno.copyFile(`${FIXTURES}/${NAME}.db`, `${tmp}/mlflow.db`);
    await fn(tmp);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function dump(r: ModelRegistryStore): Promise<Json> {
  try {
    return await dumpRegistry(r);
  } finally {
    await r.close();
  }
}

Deno.test("mlt reads MLflow 3.17.2's registry tree exactly, changing nothing", async () => {
  await inCopy(async (tmp) => {
    const want = await expected(`${NAME}.expected.json`);
    assert.ok((want.versions as Json[]).length >= 6, "the fixture has versions");
    const before = await snapshot(`${tmp}/mlruns`);
    const got = await dump(new FileRegistryStore(`${tmp}/mlruns`, { warn: () => {} }));
    assert.deepStrictEqual(got, want);
    assert.deepStrictEqual(await snapshot(`${tmp}/mlruns`), before, "reading wrote nothing");
  });
});

Deno.test("mlt reads MLflow 3.17.2's registry database exactly", async () => {
  await inCopy(async (tmp) => {
    const want = await expected(`${NAME}.db.expected.json`);
    const got = await dump(
      new SqliteRegistryStore(`sqlite:///${tmp}/mlflow.db`, { warn: () => {} }),
    );
    assert.deepStrictEqual(got, want);
  });
});

Deno.test("MLflow 3.17.2 reads the committed registry fixtures as recorded", async () => {
  await inCopy(async (tmp) => {
    for (
      const [uri, file] of [[`file://${tmp}/mlruns`, NAME], [
        `sqlite:///${tmp}/mlflow.db`,
        `${NAME}.db`,
      ]]
    ) {
      const got = JSON.parse(await runPython([READ, uri]));
      assert.deepStrictEqual(got, await readJson(`${FIXTURES}/${file}.expected.json`), uri);
    }
  });
});
