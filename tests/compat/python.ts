/**
 * The Python interpreter that has the real `mlflow` package, for the compatibility tests.
 *
 * `MLT_PYTHON` wins; otherwise `<repo>/.venv/bin/python` (created by `.ci/run`). A missing
 * interpreter is an error, never a skip: in CI these tests must run.
 */
import { runProcess } from "../helpers/process.ts";

/** The repository root (two levels above this file). */
export const REPO_ROOT: string = decodeURIComponent(new URL("../../", import.meta.url).pathname)
  .replace(/\/$/, "");

/** Path of the Python interpreter with `mlflow` installed; throws when there is none. */
export function pythonPath(): string {
  const fromEnv = Deno.env.get("MLT_PYTHON");
  const path = fromEnv && fromEnv.length > 0 ? fromEnv : `${REPO_ROOT}/.venv/bin/python`;
  try {
    const st = Deno.statSync(path);
    if (!st.isFile && !st.isSymlink) throw new Error("not a file");
  } catch {
    throw new Error(
      `No Python with mlflow at ${path}${fromEnv ? " (from MLT_PYTHON)" : ""}. ` +
        "Run `.ci/run` (it creates .venv and installs mlflow), or create it by hand: " +
        "`python3 -m venv .venv && .venv/bin/pip install mlflow==3.17.2`, " +
        "or point MLT_PYTHON at an interpreter that has mlflow.",
    );
  }
  return path;
}

/** Environment every Python mlflow process of the tests gets. */
export const PYTHON_ENV: Readonly<Record<string, string>> = {
  MLFLOW_ALLOW_FILE_STORE: "true",
  MLFLOW_DISABLE_TELEMETRY: "true",
  DO_NOT_TRACK: "true",
  PYTHONIOENCODING: "utf-8",
};

/**
 * Runs the venv python with `args` in a temp folder of its own (MLflow 3 writes `./mlflow.db`
 * wherever a client falls back to its default store); throws with its stderr on a non-zero exit.
 */
export async function runPython(args: string[], stdin?: string): Promise<string> {
  const cwd = await Deno.makeTempDir({ prefix: "mlt-python-" });
  try {
    const out = await runProcess(pythonPath(), args, { env: { ...PYTHON_ENV }, stdin, cwd });
    if (out.code !== 0) {
      throw new Error(`python ${args.slice(0, 1).join(" ")} exited ${out.code}:\n${out.stderr}`);
    }
    return out.stdout;
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

/** The Python with mlflow 2.x: MLT_PYTHON2, else <repo>/.venv-mlflow2/bin/python; throws if absent. */
export function python2Path(): string {
  const fromEnv = Deno.env.get("MLT_PYTHON2");
  const path = fromEnv || `${REPO_ROOT}/.venv-mlflow2/bin/python`;
  try {
    Deno.statSync(path);
  } catch {
    throw new Error(
      `No Python with mlflow 2.x at ${path}. Run .ci/run, or: python3 -m venv .venv-mlflow2 && ` +
        `.venv-mlflow2/bin/pip install mlflow-skinny==2.22.1 tqdm scikit-learn pandas ` +
        "(or set MLT_PYTHON2)",
    );
  }
  return path;
}
