/**
 * File-store interop with the real Python MLflow client (see tests/fixtures/README.md), reading:
 * mlt reads trees written by MLflow 3.17.2 and 1.23.1 exactly as MLflow reads them, without
 * touching a byte.
 *
 * Needs the venv python (tests/compat/python.ts); a missing one fails the tests.
 */
import assert from "node:assert/strict";
import { REPO_ROOT, runPython } from "./python.ts";
import { assertSameModels, type ModelTreeJson, withModelsRead } from "./model_tree.ts";
import {
  assertSameReading,
  checkoutFixture,
  decodeFloat,
  encodeFloat,
  FIXTURES,
  history,
  READ_TREE,
  readWithMlflow,
  readWithMlt,
  rmTemp,
  snapshot,
  withStore,
} from "./file_tree.ts";

// ---------------------------------------------------------------------------------------------
// a. mlt reads MLflow's trees
// ---------------------------------------------------------------------------------------------

for (const version of ["3.17.2", "1.23.1"]) {
  Deno.test(`mlt reads MLflow ${version}'s mlruns tree exactly`, async () => {
    const { root, expected } = await checkoutFixture(`mlruns-${version}`);
    try {
      assert.ok(expected.runs.length >= 3, "fixture has runs");
      const before = await snapshot(root);
      const actual = await withStore(root, readWithMlt);
      assertSameReading(actual, expected, `mlruns-${version}`);
      const after = await snapshot(root);
      assert.deepStrictEqual(after, before, "reading must not create, change or remove files");
    } finally {
      await rmTemp(root);
    }
  });
}

Deno.test("mlt reads the NaN, infinite, tiny and huge metric values of MLflow 3.17.2 as numbers", async () => {
  const { root, expected } = await checkoutFixture("mlruns-3.17.2");
  try {
    const run = expected.runs.find((r) => r.run_name === "finished-run");
    assert.ok(run, "fixture has finished-run");
    const want: Record<string, number> = {
      nan: NaN,
      pos_inf: Infinity,
      neg_inf: -Infinity,
      int: 10,
      tiny: 1e-300,
      denormal: 5e-324,
      huge: 1.7976931348623157e308,
      "1e16": 1e16,
      small: 1e-5,
      neg_zero: -0,
    };
    await withStore(root, async (store) => {
      const got = await store.getRun(run.run_id);
      for (const [key, value] of Object.entries(want)) {
        const m = got.data.metrics.find((x) => x.key === key);
        assert.ok(m, `metric ${key} present`);
        assert.ok(Object.is(m.value, value), `metric ${key}: ${m.value} !== ${value}`);
        assert.ok(Object.is(decodeFloat(run.metrics[key].value), value), `fixture ${key}`);
      }
      const mixed = await history(store, run.run_id, "mixed");
      assert.deepStrictEqual(mixed.map((m) => encodeFloat(m.value)), [
        1,
        "NaN",
        "Infinity",
        "-Infinity",
        2,
      ]);
    });
  } finally {
    await rmTemp(root);
  }
});

Deno.test("mlt reads the real step of a metric MLflow 3.17.2 logged with a dataset", async () => {
  const { root, expected } = await checkoutFixture("mlruns-3.17.2");
  try {
    const run = expected.runs.find((r) => "eval/accuracy" in r.metrics);
    assert.ok(run, "fixture has a metric logged with a dataset");
    await withStore(root, async (store) => {
      const [p] = await history(store, run.run_id, "eval/accuracy");
      assert.deepStrictEqual(
        [p.step, p.datasetName, p.datasetDigest],
        [3, "iris-eval", "abc123"],
        "MLflow reads step 0 here; mlt keeps the step that was written",
      );
    });
  } finally {
    await rmTemp(root);
  }
});

Deno.test("the committed fixtures hold no absolute path of the machine that wrote them", async () => {
  for (const name of ["mlruns-3.17.2", "mlruns-1.23.1", "mlruns-3.17.2-models"]) {
    const snap = await snapshot(`${FIXTURES}/${name}`);
    for (const rel of Object.keys(snap).filter((p) => p.endsWith("meta.yaml"))) {
      const text = await Deno.readTextFile(`${FIXTURES}/${name}/${rel}`);
      for (const m of text.matchAll(/file:\/\/(\/[^\s'"]*)/g)) {
        assert.ok(m[1].startsWith(`/fixture/${name}/`), `${name}/${rel}: ${m[0]}`);
      }
      assert.ok(!text.includes("/tmp/"), `${name}/${rel} mentions /tmp/`);
    }
    const json = await Deno.readTextFile(`${FIXTURES}/${name}.expected.json`);
    assert.ok(
      json.includes(`file:///fixture/${name}/`),
      `${name}.expected.json uses the placeholder`,
    );
    for (const bad of ["/tmp/", REPO_ROOT, "file:///home/", "file:///root/"]) {
      assert.ok(!json.includes(bad), `${name}.expected.json mentions ${bad}`);
    }
  }
});

Deno.test("MLflow 3.17.2 reads the committed fixtures as their .expected.json records", async () => {
  // Guards the fixtures themselves: the placeholder paths and recreated empty dirs keep them
  // readable by MLflow, with the same result as when they were written.
  for (const name of ["mlruns-3.17.2", "mlruns-1.23.1"]) {
    const { root, expected } = await checkoutFixture(name);
    try {
      const got = await readWithMlflow(root);
      assert.equal(got.mlflow_version, "3.17.2", "the venv has mlflow 3.17.2");
      assertSameReading(got, expected, `MLflow reading ${name}`);
    } finally {
      await rmTemp(root);
    }
  }
});

Deno.test("mlt reads the logged models of MLflow 3.17.2's mlruns tree exactly", async () => {
  const { root, expected } = await checkoutFixture("mlruns-3.17.2-models");
  try {
    const want = expected as ModelTreeJson;
    const before = await snapshot(root);
    const actual = await withStore(root, async (s) => withModelsRead(s, await readWithMlt(s)));
    assertSameReading(actual, want, "mlruns-3.17.2-models");
    assertSameModels(actual, want, "mlruns-3.17.2-models");
    assert.ok(want.runs.some((r) => (r as { model_outputs?: unknown[] }).model_outputs?.length));
    assert.ok(want.logged_models.some((m) => m.deleted), "the fixture has a deleted model");
    assert.deepStrictEqual(await snapshot(root), before, "reading changes no file");
    // MLflow still reads the committed tree as recorded.
    const again = JSON.parse(await runPython([READ_TREE, "--models", root])) as ModelTreeJson;
    assertSameModels(again, want, "MLflow reading mlruns-3.17.2-models");
  } finally {
    await rmTemp(root);
  }
});
