/**
 * Running tests/compat/logged_model_flows.py (the real client's logged-model flows) and what
 * `mlflow.sklearn.autolog()` is expected to log, shared by the compat and parity tests.
 */
import assert from "node:assert/strict";
import { runProcess } from "../helpers/process.ts";
import { PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";

/** The Python script of the flows. */
export const FLOWS = `${REPO_ROOT}/tests/compat/logged_model_flows.py`;

/**
 * What `mlflow.sklearn.autolog()` logs for LogisticRegression on iris against `mlflow server`
 * 3.17.2 (scikit-learn 1.9), learned once from it; logged_model_parity_test.ts compares the two
 * servers live.
 */
export const AUTOLOG_EXPECTED = {
  metrics: [
    "training_accuracy_score",
    "training_f1_score",
    "training_log_loss",
    "training_precision_score",
    "training_recall_score",
    "training_roc_auc",
    "training_score",
  ],
  artifacts: ["estimator.html", "training_confusion_matrix.png"],
  model_artifacts: ["MLmodel", "conda.yaml", "model.pkl", "python_env.yaml", "requirements.txt"],
};

/** What one run of the flows reported. */
export interface FlowOutput {
  results: Record<string, string>;
  autolog: typeof AUTOLOG_EXPECTED | null;
}

/** The two result lines logged_model_flows.py prints. */
export function flowOutput(stdout: string, stderr: string): FlowOutput {
  const line = (tag: string) => {
    const l = stdout.split("\n").find((x) => x.startsWith(`${tag} `));
    assert.ok(l, `no ${tag} from logged_model_flows.py:\n${stdout}\n${stderr}`);
    return JSON.parse(l.slice(tag.length + 1));
  };
  return { results: line("MLT_RESULTS"), autolog: line("MLT_AUTOLOG") };
}

/** Runs the flows (all, or those named) against a tracking server. */
export async function runFlows(
  url: string,
  cwd: string,
  python = pythonPath(),
  flows: string[] = [],
): Promise<FlowOutput> {
  const out = await runProcess(python, [FLOWS, "server", url, ...flows], {
    cwd,
    env: { ...PYTHON_ENV, MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0", MLFLOW_HTTP_REQUEST_TIMEOUT: "60" },
  });
  return flowOutput(out.stdout, out.stderr);
}
