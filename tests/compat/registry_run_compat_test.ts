/**
 * The model registry through `mlt run`: an entry point whose real Python client (mlflow 3.x)
 * registers its run's model, sets an alias and a stage, and loads `models:/<name>@champion`.
 * On a file store the client writes MLflow's own `mlruns/models/` (read back by mlt's file
 * registry); with `--serve-tracking` and on SQLite it goes through the endpoint mlt serves for
 * the run. A missing interpreter fails the test.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { FileRegistryStore } from "../../src/store/file/registry_store.ts";
import type { ModelRegistryStore } from "../../src/store/registry.ts";
import { SqliteRegistryStore } from "../../src/store/sqlite/registry_store.ts";
import { runProcess } from "../helpers/process.ts";
import { PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";

const MAIN = join(REPO_ROOT, "main.ts");

const REGISTER = `
import os, mlflow, pandas as pd
from mlflow import MlflowClient

class AddOne(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input + 1

with mlflow.start_run() as run:
    path = os.path.join(os.getcwd(), "saved")
    mlflow.pyfunc.save_model(path=path, python_model=AddOne())
    mlflow.log_artifacts(path, "model")
c = MlflowClient()
c.create_registered_model("fraud", tags={"team": "risk"}, description="from mlt run")
v = c.create_model_version("fraud", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
c.set_registered_model_alias("fraud", "champion", v.version)
c.transition_model_version_stage("fraud", v.version, "Production")
model = mlflow.pyfunc.load_model("models:/fraud@champion")
print("PREDICT", model.predict(pd.DataFrame({"x": [1]}))["x"].tolist())
print("RUN", run.info.run_id)
`;

async function project(): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-registry-run-" }));
  await Deno.writeTextFile(
    join(dir, "MLproject"),
    "name: registry\nentry_points:\n  main:\n    command: python register.py\n",
  );
  await Deno.writeTextFile(join(dir, "register.py"), REGISTER);
  return dir;
}

async function mltRun(dir: string, args: string[]) {
  const python = pythonPath();
  return await runProcess(Deno.execPath(), ["run", "-A", MAIN, "run", "--no-conda", ...args, "."], {
    cwd: dir,
    env: {
      ...PYTHON_ENV,
      NO_COLOR: "1",
      MLFLOW_TRACKING_URI: "",
      MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT: "true",
      PATH: `${dirname(python)}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    },
  });
}

async function check(registry: ModelRegistryStore, stdout: string): Promise<void> {
  assert.match(stdout, /^PREDICT \[2\]$/m);
  const runId = /^RUN (\w+)$/m.exec(stdout)?.[1];
  const m = await registry.getRegisteredModel("fraud");
  assert.deepEqual([m.description, m.tags], ["from mlt run", [{ key: "team", value: "risk" }]]);
  assert.deepEqual(m.aliases, [{ alias: "champion", version: 1 }]);
  assert.deepEqual(m.latestVersions.map((v) => [v.version, v.currentStage]), [[1, "Production"]]);
  const v = await registry.getModelVersionByAlias("fraud", "champion");
  assert.deepEqual([v.runId, v.source], [runId, `runs:/${runId}/model`]);
  await registry.close();
}

for (const serve of [false, true]) {
  const how = serve ? "through the endpoint mlt serves" : "written by MLflow's own file store";
  Deno.test(`mlt run on a file store: the registry ${how}`, async () => {
    const dir = await project();
    try {
      const r = await mltRun(dir, serve ? ["--serve-tracking"] : []);
      assert.equal(r.code, 0, r.stderr);
      await check(new FileRegistryStore(join(dir, "mlruns"), { warn: () => {} }), r.stdout);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("mlt run on SQLite: the registry through the endpoint mlt serves", async () => {
  const dir = await project();
  try {
    const uri = `sqlite:///${join(dir, "mlflow.db")}`;
    const r = await mltRun(dir, ["--tracking-uri", uri]);
    assert.equal(r.code, 0, r.stderr);
    await check(new SqliteRegistryStore(uri, { warn: () => {} }), r.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
