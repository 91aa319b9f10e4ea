/**
 * Shared steps of the compat tests that drive the real Python client: stopping an `mlt server`
 * that must have run cleanly, and `mlt run` of a one-script project with the venv's python first
 * on PATH.
 */
import assert from "node:assert/strict";
import { basename, dirname, join } from "node:path";
import type { MltServer } from "../helpers/mlt_server.ts";
import { type ProcessResult, runProcess } from "../helpers/process.ts";
import { PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";

const MAIN = `${REPO_ROOT}/main.ts`;

/** Stops `server` with SIGTERM; it must exit 0 without an error on stderr. */
export async function stopCleanly(server: MltServer): Promise<void> {
  server.child.kill("SIGTERM");
  const status = await server.child.status;
  const stderr = await server.stderr;
  assert.equal(status.code, 0, stderr);
  assert.doesNotMatch(stderr, /error|Uncaught/i);
}

/**
 * `mlt run <args> .` in `dir` of a project whose entry point is `python <script> project`
 * (the script is copied into `dir`); MLFLOW_TRACKING_URI is cleared so `args` decide.
 */
export async function runScriptProject(
  dir: string,
  script: string,
  args: string[],
): Promise<ProcessResult> {
  const name = basename(script);
  await Deno.copyFile(script, join(dir, name));
  await Deno.writeTextFile(
    join(dir, "MLproject"),
    `name: ${name.replace(/\.py$/, "")}\nentry_points:\n  main:\n` +
      `    command: "python ${name} project"\n`,
  );
  return await runProcess(Deno.execPath(), ["run", "-A", MAIN, "run", ...args, "."], {
    cwd: dir,
    env: {
      ...PYTHON_ENV,
      NO_COLOR: "1",
      MLFLOW_TRACKING_URI: "",
      PATH: `${dirname(pythonPath())}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    },
  });
}
