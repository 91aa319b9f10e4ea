import assert from "node:assert/strict";
import { childEnv, childTrackingUri, chooseEnvManager } from "./env.ts";

Deno.test("childTrackingUri() makes store URIs absolute for the child", () => {
  const table: [string, string][] = [
    ["./mlruns", "file:///work/p/mlruns"],
    ["mlruns", "file:///work/p/mlruns"],
    ["/abs/ml runs", "file:///abs/ml%20runs"],
    ["file:///abs/mlruns", "file:///abs/mlruns"],
    ["file:rel/mlruns", "file:///work/p/rel/mlruns"],
    ["sqlite:///mlflow.db", "sqlite:////work/p/mlflow.db"],
    ["sqlite:////abs/x.db", "sqlite:////abs/x.db"],
    ["http://127.0.0.1:5000", "http://127.0.0.1:5000"],
    ["https://mlflow.example.com/x", "https://mlflow.example.com/x"],
    ["postgresql://u@h/db", "postgresql://u@h/db"],
  ];
  for (const [input, want] of table) assert.equal(childTrackingUri(input, "/work/p"), want, input);
});

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
