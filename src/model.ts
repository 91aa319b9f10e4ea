/** MLflow's tracking entities in camelCase: experiments, runs, metrics, params, tags, datasets. */

/** Run statuses, with the integer values the file store writes. */
export const RUN_STATUSES = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"] as const;
/** A run's status. */
export type RunStatus = typeof RUN_STATUSES[number];
/** MLflow's integer for each status (mlruns `meta.yaml` `status:`). */
export const RUN_STATUS_NUMBER: Readonly<Record<RunStatus, number>> = {
  RUNNING: 1,
  SCHEDULED: 2,
  FINISHED: 3,
  FAILED: 4,
  KILLED: 5,
};
/** Statuses that end a run. */
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(["FINISHED", "FAILED", "KILLED"]);

/** Lifecycle stage of an experiment or run. */
export type LifecycleStage = "active" | "deleted";

/** Which lifecycle stages a search returns. */
export type ViewType = "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";

/** The default experiment's id and name. */
export const DEFAULT_EXPERIMENT_ID = "0";
/** The default experiment's name. */
export const DEFAULT_EXPERIMENT_NAME = "Default";

/** A key/value tag on an experiment, run or dataset input. */
export interface Tag {
  key: string;
  value: string;
}

/** A run parameter (immutable once logged). */
export interface Param {
  key: string;
  value: string;
}

/** One metric point. `value` may be NaN or ±Infinity. */
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  datasetName?: string;
  datasetDigest?: string;
  modelId?: string;
  runId?: string;
}

/** An experiment. */
export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime?: number;
  lastUpdateTime?: number;
  tags: Tag[];
}

/** The attributes of a run. */
export interface RunInfo {
  runId: string;
  experimentId: string;
  runName?: string;
  userId: string;
  status: RunStatus;
  startTime?: number;
  endTime?: number;
  artifactUri: string;
  lifecycleStage: LifecycleStage;
  deletedTime?: number;
}

/** A dataset as logged with `log_input`. */
export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
}

/** A dataset attached to a run, with input tags such as `mlflow.data.context`. */
export interface DatasetInput {
  tags: Tag[];
  dataset: Dataset;
}

/** A run's logged data: latest metric values, params and tags. */
export interface RunData {
  metrics: Metric[];
  params: Param[];
  tags: Tag[];
}

/** A logged model used by a run (`runs/log-inputs` `models`). */
export interface ModelInput {
  modelId: string;
}

/** A logged model a run produced, at a step (`runs/outputs`). */
export interface ModelOutput {
  modelId: string;
  step: number;
}

/** A run's inputs: datasets, and (MLflow 3) logged models it used. */
export interface RunInputs {
  datasetInputs: DatasetInput[];
  modelInputs?: ModelInput[];
}

/** A run's outputs (MLflow 3): the logged models it produced. */
export interface RunOutputs {
  modelOutputs: ModelOutput[];
}

/** A whole run as `runs/get` returns it. */
export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: RunInputs;
  outputs?: RunOutputs;
}

/** MLflow's LoggedModelStatus names, in the order of their integers (0…3). */
export const LOGGED_MODEL_STATUSES = ["UNSPECIFIED", "PENDING", "READY", "FAILED"] as const;
/** A logged model's status. */
export type LoggedModelStatus = typeof LOGGED_MODEL_STATUSES[number];

/** True when `s` names a logged model status. */
export function isLoggedModelStatus(s: string): s is LoggedModelStatus {
  return (LOGGED_MODEL_STATUSES as readonly string[]).includes(s);
}

/**
 * An MLflow 3 logged model: its own id (`m-<32 hex>`), artifacts under
 * `<experiment artifact location>/models/<id>/artifacts`, params, tags and metrics.
 */
export interface LoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  artifactLocation: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  status: LoggedModelStatus;
  statusMessage?: string;
  modelType?: string;
  sourceRunId?: string;
  tags: Tag[];
  params: Param[];
  /** Metric points logged with this model id (with `runId`, dataset name and digest). */
  metrics: Metric[];
}

/** System tag names MLflow uses (reference appendix B). */
export const TAG = {
  runName: "mlflow.runName",
  user: "mlflow.user",
  sourceName: "mlflow.source.name",
  sourceType: "mlflow.source.type",
  gitCommit: "mlflow.source.git.commit",
  gitBranch: "mlflow.source.git.branch",
  gitRepoUrl: "mlflow.source.git.repoURL",
  parentRunId: "mlflow.parentRunId",
  note: "mlflow.note.content",
  projectEnv: "mlflow.project.env",
  projectEntryPoint: "mlflow.project.entryPoint",
  projectBackend: "mlflow.project.backend",
  datasetContext: "mlflow.data.context",
} as const;

/** True when `s` names a run status. */
export function isRunStatus(s: string): s is RunStatus {
  return (RUN_STATUSES as readonly string[]).includes(s);
}

/** One page of results and the opaque token of the next one (absent on the last page). */
export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}
