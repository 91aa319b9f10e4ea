/**
 * What the entry point runs in: the environment manager (reference §2.5) and the child's variables
 * (`MLFLOW_RUN_ID`, `MLFLOW_EXPERIMENT_ID`, an absolute `MLFLOW_TRACKING_URI`). Pure: no Deno.*.
 */
import { usageError } from "./params.ts";
import type { DeclaredEnv } from "./spec.ts";

/** Environment managers `--env-manager` accepts. */
export const ENV_MANAGERS = ["local", "virtualenv", "uv", "conda"] as const;
/** How the entry point's environment is made; `docker` comes from `docker_env`. */
export type EnvManager = typeof ENV_MANAGERS[number] | "docker";

/** Picks the environment manager from the flags and what the project declares. */
export function chooseEnvManager(
  flag: string | undefined,
  noConda: boolean,
  declared: DeclaredEnv["kind"],
): EnvManager {
  if (flag !== undefined && !(ENV_MANAGERS as readonly string[]).includes(flag)) {
    throw usageError(
      `Invalid value for --env-manager: "${flag}". Must be one of: ${ENV_MANAGERS.join(", ")}`,
    );
  }
  if (noConda && flag !== undefined && flag !== "local") {
    throw usageError(`--no-conda means --env-manager local; it cannot be used with "${flag}"`);
  }
  if (declared === "docker_env") return "docker";
  if (noConda) return "local";
  if (flag) {
    if (flag === "conda" && declared === "python_env") {
      throw usageError(
        `A python_env project cannot run with --env-manager conda: use virtualenv, uv or local`,
      );
    }
    return flag as EnvManager;
  }
  if (declared === "python_env") return "virtualenv";
  if (declared === "conda_env") return "conda";
  return "local";
}

/** The run the child belongs to. */
export interface ChildRunVars {
  runId: string;
  experimentId: string;
  trackingUri: string;
}

/** The child's whole environment: `base` plus the run's variables, which always win. */
export function childEnv(
  base: Readonly<Record<string, string>>,
  run: ChildRunVars,
): Record<string, string> {
  const env: Record<string, string> = { ...base };
  // The run fixes the experiment; a stale name would make the child's start_run() refuse it.
  delete env.MLFLOW_EXPERIMENT_NAME;
  env.MLFLOW_RUN_ID = run.runId;
  env.MLFLOW_EXPERIMENT_ID = run.experimentId;
  env.MLFLOW_TRACKING_URI = run.trackingUri;
  if (run.trackingUri.startsWith("file:")) env.MLFLOW_ALLOW_FILE_STORE = "true";
  return env;
}
