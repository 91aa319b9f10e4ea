/**
 * The real Python mlflow client's model registry calls against a real `mlt server` process, on
 * a file store and on SQLite: every flow of registry_flows.py (create, get, search with filters,
 * order and paging, rename, update, tags, aliases, stages and get_latest_versions, delete, and
 * `mlflow.pyfunc.load_model("models:/…")` through the artifact proxy), then MLflow 2.x's
 * `mlflow.register_model`. A missing interpreter fails the test.
 */
import assert from "node:assert/strict";
import { type MltServer, startMltServer } from "../helpers/mlt_server.ts";
import { runProcess } from "../helpers/process.ts";
import { python2Path, PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";

const FLOWS = `${REPO_ROOT}/tests/compat/registry_flows.py`;

async function withServer(
  backend: (dir: string) => string,
  fn: (server: MltServer, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-registry-compat-" }));
  const server = await startMltServer(dir, [
    "--backend-store-uri",
    backend(dir),
    "--artifacts-destination",
    `${dir}/mlartifacts`,
  ]);
  try {
    await fn(server, dir);
  } finally {
    server.child.kill("SIGTERM");
    const status = await server.child.status;
    const stderr = await server.stderr;
    await Deno.remove(dir, { recursive: true });
    assert.equal(status.code, 0, stderr);
    assert.doesNotMatch(stderr, /error|Uncaught/i);
  }
}

const ENV = {
  ...PYTHON_ENV,
  MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0",
  MLFLOW_HTTP_REQUEST_TIMEOUT: "60",
  MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT: "true",
};

async function flows(url: string, dir: string): Promise<Record<string, string>> {
  const out = await runProcess(pythonPath(), [FLOWS, url, dir], { cwd: dir, env: ENV });
  const line = out.stdout.split("\n").find((l) => l.startsWith("MLT_RESULTS "));
  assert.ok(line, `no results from registry_flows.py:\n${out.stderr}`);
  return JSON.parse(line.slice("MLT_RESULTS ".length));
}

for (
  const [kind, backend] of [
    ["file store", (dir: string) => `${dir}/mlruns`],
    ["SQLite", (dir: string) => `sqlite:///${dir}/mlflow.db`],
  ] as const
) {
  Deno.test(`the Python client's registry calls work against mlt server (${kind})`, async (t) => {
    pythonPath();
    await withServer(backend, async (server, dir) => {
      const results = await flows(server.url, dir);
      assert.equal(Object.keys(results).length, 6, "every flow ran");
      for (const [flow, result] of Object.entries(results)) {
        await t.step(flow, () => assert.equal(result, "ok", result));
      }
    });
  });
}

Deno.test("mlflow 2.x: mlflow.register_model against mlt server", async () => {
  const python = python2Path();
  await withServer((dir) => `sqlite:///${dir}/mlflow.db`, async (server, dir) => {
    const script = `
import sys, mlflow
from mlflow import MlflowClient
mlflow.set_tracking_uri(sys.argv[1])
with mlflow.start_run() as run:
    mlflow.log_text("flavors: {}", "model/MLmodel")
mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", "registered")
again = mlflow.register_model(f"runs:/{run.info.run_id}/model", "registered")
c = MlflowClient()
assert (mv.version, again.version) == ("1", "2"), (mv.version, again.version)
assert c.get_model_version("registered", "1").run_id == run.info.run_id
print("SOURCE", c.get_model_version_download_uri("registered", "1"))
`;
    const out = await runProcess(python, ["-c", script, server.url], { cwd: dir, env: ENV });
    assert.equal(out.code, 0, out.stderr);
    // MLflow 2.x registers the run's artifact location; mlt checked it lies in that run.
    assert.match(out.stdout, /^SOURCE mlflow-artifacts:\/.+\/artifacts\/model$/m);
  });
});
