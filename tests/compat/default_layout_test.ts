/**
 * MLflow 3's default layout, end to end: the real Python client logs a run with no tracking URI
 * (MLFLOW_TRACKING_URI unset), which writes `./mlflow.db` and the artifacts under
 * `./mlruns/<experiment>/<run>/artifacts`. In that folder, with no flag either, `mlt runs list`
 * lists the run, and a real `mlt ui` process names the store in its banner and serves the run
 * page and its artifacts over HTTP — answering `artifacts/list` and `/get-artifact` exactly as
 * `mlflow server` started in the same folder does. Needs the venv python (python.ts).
 */
import assert from "node:assert/strict";
import { mlt } from "../helpers/mlt_cli.ts";
import { readUntil } from "../helpers/process.ts";
import { type MlflowServer, startMlflow, stopMlflow } from "./mlflow_server.ts";
import { call } from "./parity.ts";
import { pythonPath } from "./python.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

const TRAIN = `
import mlflow
with mlflow.start_run(run_name="default-layout") as run:
    mlflow.log_param("alpha", "0.5")
    mlflow.log_metric("loss", 0.25, step=1)
    with open("hello.txt", "w") as f:
        f.write("hello from mlflow 3")
    mlflow.log_artifact("hello.txt")
    mlflow.log_artifact("hello.txt", artifact_path="sub")
print(run.info.run_id)
`;

// The Python client in `dir` with a clean environment: no MLFLOW_* variable reaches it.
async function logWithDefaults(dir: string): Promise<string> {
  const out = await new Deno.Command(pythonPath(), {
    args: ["-c", TRAIN],
    cwd: dir,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: dir,
      MLFLOW_DISABLE_TELEMETRY: "true",
      DO_NOT_TRACK: "true",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.equal(out.code, 0, dec.decode(out.stderr));
  return dec.decode(out.stdout).trim().split("\n").pop()!;
}

Deno.test("MLflow 3's default layout: mlt runs list and mlt ui see the run and its artifacts", async (t) => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-default-layout-" }));
  let ui: Deno.ChildProcess | undefined;
  let mlflow: MlflowServer | undefined;
  try {
    const runId = await logWithDefaults(dir);
    assert.match(runId, /^[0-9a-f]{32}$/);
    assert.ok(Deno.statSync(`${dir}/mlflow.db`).isFile, "MLflow 3 wrote ./mlflow.db");
    const artifacts = `${dir}/mlruns/0/${runId}/artifacts`;
    assert.ok(Deno.statSync(`${artifacts}/sub/hello.txt`).isFile, "and its artifacts in ./mlruns");
    assert.throws(() => Deno.statSync(`${dir}/mlruns/0/meta.yaml`), "mlruns holds no store");

    await t.step("mlt runs list finds the run in ./mlflow.db, without a warning", async () => {
      const r = await mlt(["runs", "list", "--json"], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      const runs = JSON.parse(r.stdout);
      assert.deepEqual(runs.map((x: { info: { runId: string } }) => x.info.runId), [runId]);
    });

    ui = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "ui", "--port", "0"],
      cwd: dir,
      env: { NO_COLOR: "1", MLFLOW_TRACKING_URI: "" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = ui.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let banner = await readUntil(reader, "serving");
    while (!/serving.*\n/.test(banner)) banner += await readUntil(reader, "\n");
    const url = /http:\/\/\S+/.exec(banner)?.[0];
    assert.ok(url, banner);
    const base = url.replace(/\/$/, "");

    await t.step("the banner names the store and the artifacts folder", () => {
      assert.match(
        banner.split("\n")[1],
        /^serving sqlite:\/\/\/mlflow\.db \(SQLite, 1 experiment, found \.\/mlflow\.db, artifacts in \.\/mlruns\)$/,
      );
    });

    await t.step("mlt ui serves the run page and the artifacts over HTTP", async () => {
      const page = await fetch(`${base}/experiments/0/runs/${runId}?artifact=sub`);
      const html = await page.text();
      assert.equal(page.status, 200);
      assert.ok(html.includes("default-layout"), "the run's name");
      assert.ok(html.includes("artifact=sub%2Fhello.txt"), "the artifact listing of sub/");
      assert.ok(!html.includes("Invalid path"), "no refusal in the artifact view");
      const list = await call(base, "GET", `/api/2.0/mlflow/artifacts/list?run_id=${runId}`);
      assert.deepEqual(list.body, {
        root_uri: artifacts,
        files: [
          { path: "hello.txt", is_dir: false, file_size: 19 },
          { path: "sub", is_dir: true },
        ],
      });
      const file = await fetch(`${base}/get-artifact?run_id=${runId}&path=sub/hello.txt`);
      assert.equal(await file.text(), "hello from mlflow 3");
    });

    await t.step("mlflow server in the same folder answers the same", async () => {
      const peer = mlflow = await startMlflow(dir, []);
      for (const path of ["", "&path=sub", "&path=nope", "&path=../x"]) {
        const q = `/api/2.0/mlflow/artifacts/list?run_id=${runId}${path}`;
        const [a, b] = await Promise.all([call(peer.url, "GET", q), call(base, "GET", q)]);
        assert.deepEqual(b, a, q);
      }
      const q = `/get-artifact?run_id=${runId}&path=sub/hello.txt`;
      const [a, b] = await Promise.all([fetch(peer.url + q), fetch(base + q)]);
      assert.deepEqual([b.status, await b.text()], [a.status, await a.text()]);
    });
  } finally {
    if (mlflow) await stopMlflow(mlflow);
    if (ui) {
      ui.kill("SIGTERM");
      await ui.status;
      await ui.stdout.cancel().catch(() => {});
      await ui.stderr.cancel();
    }
    await Deno.remove(dir, { recursive: true });
  }
});
