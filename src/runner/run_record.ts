/**
 * The tracking side of `mlt run`: picks the experiment, creates (or resumes) the run with MLflow's
 * project tags, logs the params, and records how the run ended. Knows only TrackingStore.
 */
import { MltError } from "../errors.ts";
import {
  DEFAULT_EXPERIMENT_ID,
  type Param,
  type RunStatus,
  TAG,
  type Tag,
  TERMINAL_STATUSES,
} from "../model.ts";
import type { TrackingStore } from "../store/store.ts";
import { BATCH_LIMITS } from "../validate.ts";
import { usageError } from "./params.ts";

/** Tag holding the pid of the `mlt run` process that owns a RUNNING run (for stale-run checks). */
export const RUNNER_PID_TAG = "mlt.runner.pid";
/** Tag holding the host name of that process. */
export const RUNNER_HOST_TAG = "mlt.runner.host";
/** Tag holding the entry point's exit code. */
export const EXIT_CODE_TAG = "mlt.runner.exitCode";
/** Tag holding the signal that ended the entry point, or that mlt received. */
export const SIGNAL_TAG = "mlt.runner.signal";

/** How the experiment was chosen: flags first, then MLFLOW_EXPERIMENT_NAME / _ID. */
export interface ExperimentChoice {
  name?: string;
  id?: string;
  envName?: string;
  envId?: string;
}

/** The experiment id a run goes to; creates a named experiment when it does not exist. */
export async function resolveExperiment(
  store: TrackingStore,
  c: ExperimentChoice,
  log: (line: string) => void,
): Promise<string> {
  if (c.name && c.id) {
    throw usageError("Specify only one of --experiment-name and --experiment-id");
  }
  const name = c.name ?? (c.id ? undefined : c.envName);
  const id = c.id ?? (name ? undefined : c.envId);
  if (name) {
    const found = await store.getExperimentByName(name);
    if (found) return checkActive(found.experimentId, found.name, found.lifecycleStage);
    log(`Experiment "${name}" does not exist: creating it`);
    try {
      return await store.createExperiment(name);
    } catch (e) {
      // Another process created it in between.
      const again = await store.getExperimentByName(name);
      if (again) return checkActive(again.experimentId, again.name, again.lifecycleStage);
      throw e;
    }
  }
  if (id === undefined) {
    // The default experiment: a new file store creates it with its first run.
    const exp = await store.getExperiment(DEFAULT_EXPERIMENT_ID).catch((e) => {
      if (e instanceof MltError && e.code === "RESOURCE_DOES_NOT_EXIST") return undefined;
      throw e;
    });
    return exp
      ? checkActive(exp.experimentId, exp.name, exp.lifecycleStage)
      : DEFAULT_EXPERIMENT_ID;
  }
  const exp = await store.getExperiment(id);
  return checkActive(exp.experimentId, exp.name, exp.lifecycleStage);
}

function checkActive(id: string, name: string, stage: string): string {
  if (stage !== "active") {
    throw new MltError(
      "INVALID_STATE",
      `Experiment "${name}" (id ${id}) is deleted: restore it or choose another experiment`,
    );
  }
  return id;
}

/** Everything recorded on a new run. */
export interface RunStart {
  experimentId: string;
  runName?: string;
  user: string;
  tags: Tag[];
  params: Param[];
  startTime: number;
}

/** Creates the run, tags it and logs its params (in batches of MLflow's size). */
export async function createProjectRun(store: TrackingStore, s: RunStart): Promise<string> {
  const run = await store.createRun({
    experimentId: s.experimentId,
    userId: s.user,
    runName: s.runName,
    startTime: s.startTime,
    tags: s.tags,
  });
  const runId = run.info.runId;
  try {
    for (let i = 0; i < s.params.length; i += BATCH_LIMITS.params) {
      await store.logBatch(runId, { params: s.params.slice(i, i + BATCH_LIMITS.params) });
    }
  } catch (e) {
    await store.updateRun({ runId, status: "FAILED", endTime: Date.now() }).catch(() => {});
    throw e;
  }
  return runId;
}

/** Resumes `runId` (`--run-id`): checks it, marks it RUNNING and adds `tags`; returns its experiment. */
export async function resumeRun(
  store: TrackingStore,
  runId: string,
  tags: Tag[],
  experimentId?: string,
): Promise<string> {
  const run = await store.getRun(runId);
  if (run.info.lifecycleStage !== "active") {
    throw new MltError("INVALID_STATE", `Cannot resume run "${runId}": it is deleted`);
  }
  if (experimentId && experimentId !== run.info.experimentId) {
    throw usageError(
      `Run "${runId}" belongs to experiment ${run.info.experimentId}, not ${experimentId}`,
    );
  }
  await store.updateRun({ runId, status: "RUNNING" });
  if (tags.length) await store.logBatch(runId, { tags });
  return run.info.experimentId;
}

/** Ends the run with `status` unless the entry point already ended it; returns the final status. */
export async function finishRun(
  store: TrackingStore,
  runId: string,
  status: RunStatus,
  tags: Tag[],
): Promise<RunStatus> {
  if (tags.length) await store.logBatch(runId, { tags }).catch(() => {});
  const current = await store.getRun(runId);
  if (TERMINAL_STATUSES.has(current.info.status)) return current.info.status;
  await store.updateRun({ runId, status, endTime: Date.now() });
  return status;
}

/** MLflow's project tags for a new run. */
export function projectTags(t: {
  user: string;
  sourceName: string;
  entryPoint: string;
  envManager: string;
  commit?: string;
  repoUrl?: string;
  branch?: string;
  pid: number;
  host: string;
}): Tag[] {
  const tags: Tag[] = [
    { key: TAG.user, value: t.user },
    { key: TAG.sourceName, value: t.sourceName },
    { key: TAG.sourceType, value: "PROJECT" },
    { key: TAG.projectEntryPoint, value: t.entryPoint },
    { key: TAG.projectBackend, value: "local" },
  ];
  tags.push({ key: TAG.projectEnv, value: t.envManager });
  if (t.commit) tags.push({ key: TAG.gitCommit, value: t.commit });
  if (t.repoUrl) tags.push({ key: TAG.gitRepoUrl, value: t.repoUrl });
  if (t.branch) tags.push({ key: TAG.gitBranch, value: t.branch });
  tags.push({ key: RUNNER_PID_TAG, value: String(t.pid) }, { key: RUNNER_HOST_TAG, value: t.host });
  return tags;
}
