/** Running tests/compat/server_flows.py (the real client's tracking flows) against a server. */
import assert from "node:assert/strict";
import { runProcess } from "../helpers/process.ts";
import { PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";

const FLOWS = `${REPO_ROOT}/tests/compat/server_flows.py`;

/** Runs flows of server_flows.py against `url` and returns {flow: "ok" | traceback}. */
export async function runServerFlows(
  url: string,
  dir: string,
  flows: string[] = [],
  env: Record<string, string> = {},
): Promise<Record<string, string>> {
  const out = await runProcess(pythonPath(), [FLOWS, url, dir, ...flows], {
    cwd: dir,
    env: {
      ...PYTHON_ENV,
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0",
      MLFLOW_HTTP_REQUEST_TIMEOUT: "60",
      MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT: "true",
      ...env,
    },
  });
  const line = out.stdout.split("\n").find((l) => l.startsWith("MLT_RESULTS "));
  assert.ok(line, `no results from server_flows.py:\n${out.stderr}`);
  return JSON.parse(line.slice("MLT_RESULTS ".length));
}
