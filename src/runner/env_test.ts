import assert from "node:assert/strict";
import { childEnv, chooseEnvManager } from "./env.ts";

Deno.test("childEnv() sets the run's variables over anything inherited", () => {
  const env = childEnv(
    { PATH: "/bin", MLFLOW_RUN_ID: "old", MLFLOW_EXPERIMENT_NAME: "x", MLFLOW_TRACKING_URI: "y" },
    { runId: "r1", experimentId: "7", trackingUri: "file:///a/mlruns" },
  );
  assert.deepEqual(env, {
    PATH: "/bin",
    MLFLOW_RUN_ID: "r1",
    MLFLOW_EXPERIMENT_ID: "7",
    MLFLOW_TRACKING_URI: "file:///a/mlruns",
    MLFLOW_ALLOW_FILE_STORE: "true",
  });
  const remote = childEnv({}, { runId: "r", experimentId: "0", trackingUri: "http://h:1" });
  assert.equal(remote.MLFLOW_ALLOW_FILE_STORE, undefined);
});

Deno.test("chooseEnvManager() follows flags and the declared environment", () => {
  const table: [string | undefined, boolean, Parameters<typeof chooseEnvManager>[2], string][] = [
    [undefined, false, "none", "local"],
    [undefined, true, "none", "local"],
    [undefined, false, "python_env", "virtualenv"],
    [undefined, true, "python_env", "local"],
    [undefined, false, "conda_env", "conda"],
    ["uv", false, "python_env", "uv"],
    ["local", true, "conda_env", "local"],
    [undefined, false, "docker_env", "docker"],
  ];
  for (const [flag, noConda, declared, want] of table) {
    assert.equal(chooseEnvManager(flag, noConda, declared), want, `${flag} ${noConda} ${declared}`);
  }
  assert.throws(() => chooseEnvManager("pip", false, "none"), /Invalid value for --env-manager/);
  assert.throws(() => chooseEnvManager("conda", true, "none"), /--no-conda/);
  assert.throws(() => chooseEnvManager("conda", false, "python_env"), /python_env project/);
});
