/**
 * Registry interop, writing: mlt's file and SQLite registries, given the calls that made the
 * fixtures (write_registry.py), are read by MLflow 3.17.2 exactly as mlt reads them; the file
 * tree has MLflow's files, and its meta.yaml are MLflow's bytes (the fixture's, timestamps aside,
 * and what PyYAML writes for the same data). Needs the venv python (python.ts).
 */
import assert from "node:assert/strict";
import { FileRegistryStore } from "../../src/store/file/registry_store.ts";
import type { ModelRegistryStore } from "../../src/store/registry.ts";
import { SqliteRegistryStore } from "../../src/store/sqlite/registry_store.ts";
import { FIXTURES, snapshot } from "./file_tree.ts";
import { runPython } from "./python.ts";
import { dumpRegistry, writeRegistry } from "./registry_dump.ts";

const READ = new URL("./read_registry.py", import.meta.url).pathname;
const TREE = `${FIXTURES}/registry-3.17.2`;
// Re-dumps each file with MLflow's yaml.dump options; prints the paths whose bytes differ.
const REDUMP = `
import sys, yaml
for p in sys.argv[1:]:
    text = open(p, encoding="utf-8").read()
    again = yaml.dump(yaml.safe_load(text), default_flow_style=False, allow_unicode=True,
                      sort_keys=True, Dumper=yaml.CSafeDumper)
    if again != text:
        print(p)
`;

async function written(make: (tmp: string) => ModelRegistryStore, uri: (tmp: string) => string) {
  const tmp = await Deno.makeTempDir({ prefix: "mlt-registry-write-" });
  const r = make(tmp);
  try {
    await writeRegistry(r);
    const mine = await dumpRegistry(r);
    const { mlflow_version: _, ...theirs } = JSON.parse(await runPython([READ, uri(tmp)]));
    assert.deepStrictEqual(theirs, mine, "MLflow reads what mlt reads");
    assert.ok((mine.versions as unknown[]).length >= 6);
    return tmp;
  } finally {
    await r.close();
  }
}

Deno.test("MLflow reads the registry mlt's file store wrote, in MLflow's own bytes", async () => {
  const tmp = await written(
    (t) => new FileRegistryStore(`${t}/mlruns`, { warn: () => {} }),
    (t) => `file://${t}/mlruns`,
  );
  try {
    const mine = await snapshot(`${tmp}/mlruns/models`);
    const theirs = await snapshot(`${TREE}/models`);
    assert.deepStrictEqual(Object.keys(mine).sort(), Object.keys(theirs).sort(), "the same files");
    const metas = Object.keys(mine).filter((p) => p.endsWith("meta.yaml"));
    const stamps = (s: string) => s.replace(/\b\d{13}\b/g, "T");
    for (const rel of metas) {
      const a = stamps(await Deno.readTextFile(`${tmp}/mlruns/models/${rel}`));
      const b = stamps(await Deno.readTextFile(`${TREE}/models/${rel}`));
      // MLflow's file store keeps a deleted version's fields; mlt redacts them as its SQL store.
      if (rel === "fraud-detector/version-4/meta.yaml") {
        assert.match(a, /^source: REDACTED-SOURCE-PATH$/m);
        assert.match(a, /^current_stage: Deleted_Internal$/m);
      } else assert.equal(a, b, rel);
    }
    for (
      const rel of Object.keys(mine).filter((p) => !p.endsWith("meta.yaml") && !p.endsWith("/"))
    ) {
      assert.equal(mine[rel], theirs[rel], `${rel} holds MLflow's bytes`);
    }
    const paths = metas.map((rel) => `${tmp}/mlruns/models/${rel}`);
    assert.equal(await runPython(["-c", REDUMP, ...paths]), "", "PyYAML writes the same bytes");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("MLflow reads the registry mlt's SQLite store wrote", async () => {
  const tmp = await written(
    (t) => new SqliteRegistryStore(`sqlite:///${t}/mlflow.db`, { warn: () => {} }),
    (t) => `sqlite:///${t}/mlflow.db`,
  );
  await Deno.remove(tmp, { recursive: true });
});
