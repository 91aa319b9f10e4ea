/**
 * MLflow 3's registry with logged models, end to end with the real Python client
 * (registered_models.py): `log_model(registered_model_name=…)`, `register_model` from `runs:/`
 * and from `models:/m-…`, an alias, and `pyfunc.load_model` through `models:/<name>/1`,
 * `@champion` and `/latest`, against `mlt server` (file store and SQLite) and inside `mlt run`
 * (MLflow's own FileStore on ./mlruns, the endpoint mlt serves on a file store, and SQLite).
 * What the client then sees must be what it sees against `mlflow server` 3.17.2 (EXPECTED), and
 * mlt's stores must read back what was written. A missing interpreter fails the test.
 */
import assert from "node:assert/strict";
import { MODEL_VERSIONS_TAG } from "../../src/registry_model.ts";
import { openStore } from "../../src/store/open.ts";
import { loadRegistryStore } from "../../src/store/open_registry.ts";
import { startMltServer } from "../helpers/mlt_server.ts";
import { runProcess } from "../helpers/process.ts";
import { withTempDir } from "../helpers/temp.ts";
import { runScriptProject, stopCleanly } from "./python_project.ts";
import { PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";

const SCRIPT = `${REPO_ROOT}/tests/compat/registered_models.py`;
const entries = (spellings: ((v: number) => string)[]) =>
  `[${
    [1, 2, 3].flatMap((v) => spellings.map((f) => `{"name": "iris", "version": ${f(v)}}`)).join(
      ", ",
    )
  }]`;
/** The tag after the server listed each version as a number and the client again as a string. */
const TAG = entries([String, (v) => `"${v}"`]);

/**
 * What registered_models.py reports against `mlflow server` 3.17.2, on a file store and on
 * SQLite alike (except that MLflow's file store lists a version's aliases in searches, its SQL
 * store does not, nor does mlt: docs/registry.md): every version comes from the logged model (the
 * run has no model files), keeps the model's run and its artifact location, and shows no model_id
 * (MLflow's server never sends one); the server lists each version in the model's tag as a
 * number, then the client appends it again as a string.
 */
const EXPECTED = {
  model_version: ["1", "2", "3"],
  loaded: {
    "models:/<name>/1": true,
    "models:/<name>@champion": true,
    "models:/<name>/latest": true,
  },
  versions: [3, 2, 1].map((v) => ({
    version: String(v),
    source: "models:/<model>",
    run_id: "<run>",
    model_id: null,
    aliases: [] as string[],
    download: "/models/<model>/artifacts",
  })),
  logged_models: [{ model_id: "<model>", source_run_id: "<run>", model_versions: TAG }],
};

/**
 * The same script inside `mlt run` with MLflow's own FileStore in the Python process (no server):
 * its entities keep numbers, the model_id and the aliases, and only it writes the tag, once per
 * version. mlt's stores must read that back.
 */
const IN_PROCESS = {
  ...EXPECTED,
  model_version: [1, 2, 3],
  versions: EXPECTED.versions.map((v) => ({
    ...v,
    version: Number(v.version),
    model_id: "<model>",
    aliases: v.version === "2" ? ["champion"] : [],
  })),
  logged_models: [{ ...EXPECTED.logged_models[0], model_versions: entries([String]) }],
};

function report(stdout: string, stderr: string) {
  const line = stdout.split("\n").find((l) => l.startsWith("MLT_REGISTERED "));
  assert.ok(line, `no report from registered_models.py:\n${stdout}\n${stderr}`);
  return JSON.parse(line.slice("MLT_REGISTERED ".length));
}

// mlt's own stores read back what the client wrote: the versions' model ids (file store only,
// as MLflow's) and storage locations, and the logged model's tag.
async function readBack(trackingUri: string, tag: string): Promise<void> {
  const store = openStore(trackingUri, { warn: () => {} });
  const registry = await loadRegistryStore(undefined, { warn: () => {} }, store);
  try {
    const versions = (await registry.searchModelVersions({ filter: "name = 'iris'" })).items;
    assert.equal(versions.length, 3);
    const model = await store.getLoggedModel(versions[0].source!.replace("models:/", ""));
    assert.equal(model.tags.find((t) => t.key === MODEL_VERSIONS_TAG)?.value, tag);
    for (const v of versions) {
      assert.equal(v.runId, model.sourceRunId);
      assert.ok([undefined, model.modelId].includes(v.modelId), v.modelId);
      if (trackingUri.startsWith("sqlite:")) assert.equal(v.modelId, undefined);
      else assert.equal(v.modelId, model.modelId);
      assert.equal(
        await registry.getModelVersionDownloadUri("iris", v.version),
        model.artifactLocation,
      );
    }
  } finally {
    await registry.close();
    await store.close();
  }
}

for (const backend of ["file", "sqlite"] as const) {
  Deno.test(`registering logged models with the Python client through mlt server (${backend})`, async () => {
    await withTempDir("mlt-reg-lm-", async (dir) => {
      const uri = backend === "file" ? `${dir}/mlruns` : `sqlite:///${dir}/mlflow.db`;
      const server = await startMltServer(dir, [
        "--backend-store-uri",
        uri,
        "--artifacts-destination",
        `${dir}/mlartifacts`,
      ]);
      let out;
      try {
        out = await runProcess(pythonPath(), [SCRIPT, "server", server.url], {
          cwd: dir,
          env: { ...PYTHON_ENV, MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0" },
        });
      } finally {
        await stopCleanly(server);
      }
      assert.equal(out.code, 0, out.stderr);
      assert.deepEqual(report(out.stdout, out.stderr), EXPECTED);
      await readBack(uri, TAG);
    });
  });
}

/** What registered_models.py reports (the tag as the last logged model shows it). */
interface Expected {
  logged_models: { model_versions: string }[];
}

/** How `mlt run` is asked to track, its store, and what the script then reports. */
const RUNS: [string, (dir: string) => string[], (dir: string) => string, Expected][] = [
  ["MLflow's FileStore writing ./mlruns", () => [], (dir) => `${dir}/mlruns`, IN_PROCESS],
  [
    "the endpoint it serves on a file store",
    () => ["--serve-tracking"],
    (dir) => `${dir}/mlruns`,
    EXPECTED,
  ],
  [
    "the endpoint it serves on SQLite",
    (dir) => ["--tracking-uri", `sqlite:///${dir}/mlflow.db`],
    (dir) => `sqlite:///${dir}/mlflow.db`,
    EXPECTED,
  ],
];

for (const [how, args, uri, expected] of RUNS) {
  Deno.test(`registering logged models inside mlt run, through ${how}`, async () => {
    await withTempDir("mlt-reg-lm-run-", async (dir) => {
      const out = await runScriptProject(dir, SCRIPT, ["--no-conda", ...args(dir)]);
      assert.equal(out.code, 0, out.stderr);
      assert.deepEqual(report(out.stdout, out.stderr), expected);
      await readBack(uri(dir), expected.logged_models[0].model_versions);
    });
  });
}
