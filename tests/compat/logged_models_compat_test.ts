/**
 * MLflow 3 logged models with the real Python client (tests/compat/logged_model_flows.py):
 * `mlflow.sklearn.autolog()` on a small fit (the same metric keys and artifact paths as against
 * `mlflow server`), log_model + pyfunc.load_model through runs:/ and models:/ URIs, searches,
 * metrics on models, tags, finalize, delete and errors, against `mlt server` on a file store and
 * on SQLite, and inside `mlt run` (its served endpoint over SQLite; MLflow's own FileStore on
 * ./mlruns); and the 2.x client's log_model (runs/log-model) against `mlt server`. Needs the venv
 * pythons (python.ts) with scikit-learn; a missing one fails the tests.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { openStore } from "../../src/store/open.ts";
import { type MltServer, startMltServer } from "../helpers/mlt_server.ts";
import { runProcess } from "../helpers/process.ts";
import { withTempDir } from "../helpers/temp.ts";
import { python2Path, PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";
import { AUTOLOG_EXPECTED, type FlowOutput, flowOutput, FLOWS, runFlows } from "./model_flows.ts";

const MAIN = `${REPO_ROOT}/main.ts`;

async function stop(server: MltServer): Promise<void> {
  server.child.kill("SIGTERM");
  const status = await server.child.status;
  const stderr = await server.stderr;
  assert.equal(status.code, 0, stderr);
  assert.doesNotMatch(stderr, /error|Uncaught/i);
}

for (const backend of ["file", "sqlite"] as const) {
  Deno.test(`the Python client's logged models work against mlt server (${backend})`, async (t) => {
    await withTempDir("mlt-lm-compat-", async (dir) => {
      const store = backend === "file" ? `${dir}/mlruns` : `sqlite:///${dir}/mlflow.db`;
      const server = await startMltServer(dir, [
        "--backend-store-uri",
        store,
        "--artifacts-destination",
        `${dir}/mlartifacts`,
      ]);
      let out: FlowOutput;
      try {
        out = await runFlows(server.url, dir);
      } finally {
        await stop(server);
      }
      assert.ok(Object.keys(out.results).length >= 7, "every flow ran");
      for (const [flow, result] of Object.entries(out.results)) {
        await t.step(flow, () => assert.equal(result, "ok", result));
      }
      assert.deepEqual(out.autolog, AUTOLOG_EXPECTED, "autolog logs what it logs on mlflow server");
      // The autolog model's files went through the artifact proxy into the destination.
      const s = openStore(store, { warn: () => {} });
      try {
        const exp = (await s.searchExperiments({ filter: "name LIKE 'autolog-%'" })).items[0];
        const [model] = (await s.searchLoggedModels({ experimentIds: [exp.experimentId] })).items;
        assert.match(model.artifactLocation, /^mlflow-artifacts:\//);
        const rel = model.artifactLocation.replace(/^mlflow-artifacts:\/*/, "");
        const mlmodel = await Deno.readTextFile(join(dir, "mlartifacts", rel, "MLmodel"));
        assert.match(mlmodel, new RegExp(`model_id: ${model.modelId}`));
      } finally {
        await s.close();
      }
    });
  });
}

/** `mlt run` of a project whose entry point runs the flows' project mode, with `args`. */
async function runProject(dir: string, args: string[]) {
  await Deno.copyFile(FLOWS, join(dir, "logged_model_flows.py"));
  await Deno.writeTextFile(
    join(dir, "MLproject"),
    'name: logged-models\nentry_points:\n  main:\n    command: "python logged_model_flows.py project"\n',
  );
  const python = pythonPath();
  const out = await runProcess(Deno.execPath(), ["run", "-A", MAIN, "run", ...args, "."], {
    cwd: dir,
    env: {
      ...PYTHON_ENV,
      NO_COLOR: "1",
      MLFLOW_TRACKING_URI: "",
      PATH: `${dirname(python)}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    },
  });
  assert.equal(out.code, 0, out.stderr);
  const { results, autolog } = flowOutput(out.stdout, out.stderr);
  assert.equal(results.project, "ok", results.project);
  // mlt run adds its own artifact (the output log) beside autolog's.
  assert.deepEqual(
    { ...autolog!, artifacts: autolog!.artifacts.filter((a) => !a.startsWith("mlt/")) },
    AUTOLOG_EXPECTED,
  );
}

// What mlt reads back after the project ran: one finished run with its models.
async function checkProjectStore(uri: string): Promise<void> {
  const s = openStore(uri, { warn: () => {} });
  try {
    // runs/get, not a search: MLflow's SQL store leaves model inputs out of runs/search.
    const [found] = (await s.searchRuns({ experimentIds: ["0"] })).items;
    const run = await s.getRun(found.info.runId);
    assert.equal(run.info.status, "FINISHED");
    const models = (await s.searchLoggedModels({
      experimentIds: ["0"],
      orderBy: [{ fieldName: "name" }],
    })).items;
    assert.deepEqual(models.map((m) => [m.name, m.status]), [["extra", "READY"], [
      "model",
      "READY",
    ]]);
    const [extra, model] = models;
    assert.deepEqual(run.outputs?.modelOutputs.map((o) => o.modelId), [model.modelId]);
    assert.ok(run.inputs.modelInputs?.some((i) => i.modelId === extra.modelId));
    assert.equal(model.sourceRunId, run.info.runId);
    assert.deepEqual(extra.params, [{ key: "p", value: "1" }]);
    assert.deepEqual(extra.metrics.map((m) => [m.key, m.value, m.runId]), [[
      "extra_metric",
      1.5,
      run.info.runId,
    ]]);
  } finally {
    await s.close();
  }
}

Deno.test("logged models inside mlt run, through the endpoint it serves (SQLite)", async () => {
  await withTempDir("mlt-lm-run-", async (dir) => {
    const uri = `sqlite:///${dir}/mlflow.db`;
    await runProject(dir, ["--serve-tracking", "--tracking-uri", uri]);
    await checkProjectStore(uri);
  });
});

Deno.test("logged models inside mlt run, MLflow's FileStore writing ./mlruns, mlt reading", async () => {
  await withTempDir("mlt-lm-run-", async (dir) => {
    await runProject(dir, []);
    await checkProjectStore(`${dir}/mlruns`);
  });
});

const PY2_LOG_MODEL = `
import json, sys
import mlflow, numpy as np
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
mlflow.set_tracking_uri(sys.argv[1])
X, y = load_iris(return_X_y=True)
clf = LogisticRegression(max_iter=200).fit(X, y)
with mlflow.start_run() as run:
    info = mlflow.sklearn.log_model(clf, "model")
got = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model").predict(X[:5])
assert np.array_equal(got, clf.predict(X[:5])), got
tag = MlflowClient().get_run(run.info.run_id).data.tags["mlflow.log-model.history"]
print(json.dumps({"version": mlflow.__version__, "run": run.info.run_id, "uri": info.model_uri,
                  "history": [h["artifact_path"] for h in json.loads(tag)]}))
`;

Deno.test("the 2.x client's mlflow.sklearn.log_model (runs/log-model) works against mlt server", async () => {
  await withTempDir("mlt-lm-2x-", async (dir) => {
    const server = await startMltServer(dir, [
      "--backend-store-uri",
      `${dir}/mlruns`,
      "--artifacts-destination",
      `${dir}/mlartifacts`,
    ]);
    let out: { code: number; stdout: string; stderr: string };
    try {
      out = await runProcess(python2Path(), ["-c", PY2_LOG_MODEL, server.url], {
        cwd: dir,
        env: { ...PYTHON_ENV, MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0" },
      });
    } finally {
      await stop(server);
    }
    assert.equal(out.code, 0, out.stderr);
    const got = JSON.parse(out.stdout.trim().split("\n").at(-1)!);
    assert.match(got.version, /^2\./);
    assert.equal(got.uri, `runs:/${got.run}/model`);
    assert.deepEqual(got.history, ["model"]);
    const s = openStore(`${dir}/mlruns`, { warn: () => {} });
    try {
      const run = await s.getRun(got.run);
      // The 2.x path logs no logged model; the run's artifacts hold the model.
      assert.deepEqual(run.outputs?.modelOutputs ?? [], []);
      const rel = run.info.artifactUri.replace(/^mlflow-artifacts:\/*/, "");
      assert.match(
        await Deno.readTextFile(join(dir, "mlartifacts", rel, "model", "MLmodel")),
        /sklearn/,
      );
    } finally {
      await s.close();
    }
  });
});
