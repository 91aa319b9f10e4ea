/**
 * The seed's workflow with the real Python mlflow: `mlt run --no-conda .` on
 * examples/projects-and-tracking prints the three MLFLOW_* variables, and track.py's
 * MlflowClient logs test_param and 10 points of test_metric into a run that ends FINISHED.
 * Runs against mlflow 3.x (MLT_PYTHON / .venv) and 2.x (MLT_PYTHON2 / .venv-mlflow2); a missing
 * interpreter fails the test.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { openStore } from "../../src/store/open.ts";
import type { Run } from "../../src/model.ts";
import { runProcess } from "../helpers/process.ts";
import { python2Path, PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";

const tempDirs: string[] = [];
/** A temp dir removed when the test file ends. */
async function tempDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mlt-run-compat-" });
  tempDirs.push(dir);
  return dir;
}
globalThis.addEventListener("unload", () => {
  for (const dir of tempDirs) Deno.removeSync(dir, { recursive: true });
});

const MAIN = join(REPO_ROOT, "main.ts");
const EXAMPLE = join(REPO_ROOT, "examples", "projects-and-tracking");

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isFile) await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

/** The environment of `mlt run` with `python` first on PATH. */
function runEnv(python: string): Record<string, string> {
  return {
    ...PYTHON_ENV,
    NO_COLOR: "1",
    MLFLOW_TRACKING_URI: "",
    PATH: `${dirname(python)}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
  };
}

/** Runs `mlt run <args>` in `cwd` with `python` on PATH resolving to `python`. */
function mltRun(cwd: string, python: string, args: string[]) {
  return runProcess(Deno.execPath(), ["run", "-A", MAIN, "run", ...args], {
    cwd,
    env: runEnv(python),
  });
}

/** The run's output as mlt saved it (the artifact mlt/stdout.log). */
function stdoutLog(run: Run): Promise<string> {
  return Deno.readTextFile(join(new URL(run.info.artifactUri!).pathname, "mlt", "stdout.log"));
}

async function onlyRun(root: string): Promise<{ run: Run; points: number[] }> {
  const store = openStore(join(root, "mlruns"));
  try {
    const runs = await store.searchRuns({ experimentIds: ["0"], maxResults: 100 });
    assert.equal(runs.items.length, 1);
    const run = runs.items[0];
    const history = await store.getMetricHistory(run.info.runId, "test_metric");
    return { run, points: history.items.map((m) => m.step) };
  } finally {
    await store.close();
  }
}

async function seedWorkflow(python: string, args: string[]) {
  const dir = await tempDir();
  await copyDir(EXAMPLE, dir);
  const r = await mltRun(dir, python, [...args, ".", "-P", "sleep=0"]);
  assert.equal(r.code, 0, r.stderr);
  const { run, points } = await onlyRun(dir);
  const id = run.info.runId;
  const real = await Deno.realPath(dir);
  // `env | grep MLFLOW` output: the three variables, absolute tracking URI (or the endpoint mlt
  // serves for the run).
  assert.match(r.stdout, new RegExp(`^MLFLOW_RUN_ID=${id}$`, "m"));
  assert.match(r.stdout, /^MLFLOW_EXPERIMENT_ID=0$/m);
  const uri = args.includes("--serve-tracking")
    ? "http://127\\.0\\.0\\.1:\\d+"
    : `file://${real}/mlruns`;
  assert.match(r.stdout, new RegExp(`^MLFLOW_TRACKING_URI=${uri}$`, "m"));
  assert.match(r.stdout, new RegExp(`args.mlflow_run_id='${id}'`));
  assert.match(r.stderr, /10\/10/, "tqdm's bar");
  assert.equal(run.info.status, "FINISHED");
  assert.deepEqual(run.data.params.map((p) => [p.key, p.value]).sort(), [
    ["sleep", "0"],
    ["test_param", "100"],
  ]);
  assert.deepEqual(points, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // The output, saved as the run artifact mlt/stdout.log: tqdm's bar in its final state only.
  const log = await stdoutLog(run);
  assert.match(log, new RegExp(`^MLFLOW_RUN_ID=${id}$`, "m"));
  assert.match(log, /^100%\|█+\| 10\/10 .*\]$/m);
  assert.doesNotMatch(log, /\r| 0%\|/);
}

Deno.test("seed workflow: mlt run --no-conda . with mlflow 3.x", async () => {
  await seedWorkflow(pythonPath(), ["--no-conda"]);
});

Deno.test("seed workflow: mlt run . with mlflow 2.x", async () => {
  await seedWorkflow(python2Path(), []);
});

Deno.test("seed workflow through the tracking endpoint mlt serves (--serve-tracking), 3.x", async () => {
  await seedWorkflow(pythonPath(), ["--serve-tracking"]);
});

Deno.test("seed workflow through the tracking endpoint mlt serves (--serve-tracking), 2.x", async () => {
  await seedWorkflow(python2Path(), ["--serve-tracking"]);
});

Deno.test("seed workflow on a terminal: tqdm draws live, the log keeps the last state", async () => {
  const dir = await tempDir();
  await copyDir(EXAMPLE, dir);
  const python = pythonPath();
  // util-linux `script` gives mlt a terminal, as when a user runs it by hand (a pty starts with
  // no size, and tqdm draws nothing in zero columns).
  const out = await new Deno.Command("script", {
    args: [
      "-q",
      "-e",
      "-c",
      `stty cols 100 rows 30 && exec ${Deno.execPath()} run -A ${MAIN} run . -P sleep=0.05`,
      "/dev/null",
    ],
    cwd: dir,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { ...runEnv(python), SHELL: "/bin/sh" },
  }).spawn().output(); // stdin stays an open pipe: with /dev/null, script would type an EOF
  const screen = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, screen);
  // On a terminal tqdm redraws its bar in place, step by step.
  assert.ok((screen.match(/\r +\d+%\|/g) ?? []).length >= 5, screen);
  const { run, points } = await onlyRun(dir);
  assert.equal(run.info.status, "FINISHED");
  assert.equal(points.length, 10);
  const log = await stdoutLog(run);
  assert.match(log, /^100%\|█+\| 10\/10 .*\]$/m);
  assert.doesNotMatch(log, / [1-9]0%\||\r|Script (started|done)/);
  assert.ok(!log.includes("\x1b"), "escape codes in the log");
});

Deno.test("a run the Python fluent API ends itself keeps its status", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(
    join(dir, "MLproject"),
    "entry_points:\n  main:\n    parameters: {fail: {type: int, default: 0}}\n" +
      "    command: python fluent.py {fail}\n",
  );
  await Deno.writeTextFile(
    join(dir, "fluent.py"),
    `import sys, mlflow
mlflow.start_run()
mlflow.log_metric("m", 1.5)
if sys.argv[1] == "1":
    mlflow.end_run(status="KILLED")
    sys.exit(3)
mlflow.end_run()
`,
  );
  const python = pythonPath();
  let r = await mltRun(dir, python, ["."]);
  assert.equal(r.code, 0, r.stderr);
  let { run } = await onlyRun(dir);
  assert.equal(run.info.status, "FINISHED");
  assert.equal(run.data.metrics.find((m) => m.key === "m")?.value, 1.5);
  await Deno.remove(join(dir, "mlruns"), { recursive: true });
  r = await mltRun(dir, python, [".", "-P", "fail=1"]);
  assert.equal(r.code, 3, r.stderr);
  ({ run } = await onlyRun(dir));
  // The script ended the run KILLED itself before exiting 3; mlt keeps that (not FAILED).
  assert.equal(run.info.status, "KILLED");
});
