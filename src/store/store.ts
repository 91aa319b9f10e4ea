/**
 * The TrackingStore interface: everything api/, ui/, runner/ and client/ know about storage.
 * Implementations live in file/, sqlite/ and rest/; only open.ts imports them.
 */
import type {
  DatasetInput,
  Experiment,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  ModelInput,
  ModelOutput,
  Page,
  Param,
  Run,
  RunInfo,
  RunStatus,
  Tag,
  ViewType,
} from "../model.ts";
import type { Clock } from "../ids.ts";
import type { DatasetFilter, LoggedModelOrderBy } from "../search/logged_model_query.ts";

export type { DatasetFilter, LoggedModelOrderBy };

/** Options every store accepts. */
export interface StoreOptions {
  /** Milliseconds since the epoch; injected by tests. */
  clock?: Clock;
  /** Default artifact root for new experiments (a URI or path). */
  artifactRoot?: string;
  /** Truncate over-long param and tag values as MLflow does by default (true), or refuse them. */
  truncateLongValues?: boolean;
  /** Where warnings about skipped, malformed entries go (default: console.warn). */
  warn?: (message: string) => void;
  /** http(s) stores only: credentials and retry policy (see httpOptionsFromEnv). */
  http?: HttpStoreOptions;
  /** PostgreSQL stores only: connections in the pool (default 10). */
  poolSize?: number;
}

/** How an http(s) store talks to its server; read from the environment at the edge. */
export interface HttpStoreOptions {
  /** Basic auth user (MLFLOW_TRACKING_USERNAME); used with `password`, wins over `token`. */
  username?: string;
  /** Basic auth password (MLFLOW_TRACKING_PASSWORD). */
  password?: string;
  /** Bearer token (MLFLOW_TRACKING_TOKEN). */
  token?: string;
  /** Retries of one request on 408, 429, 5xx and connection errors (default 5). */
  maxRetries?: number;
  /** First backoff delay in ms, doubled on every retry (default 250). */
  backoffMs?: number;
  /** Timeout of one attempt in ms (default 120000). */
  timeoutMs?: number;
}

/**
 * HttpStoreOptions from MLflow's variables: MLFLOW_TRACKING_USERNAME / _PASSWORD / _TOKEN,
 * MLFLOW_HTTP_REQUEST_MAX_RETRIES, _BACKOFF_FACTOR (seconds) and _TIMEOUT (seconds).
 */
export function httpOptionsFromEnv(env: (name: string) => string | undefined): HttpStoreOptions {
  const num = (name: string, scale = 1): number | undefined => {
    const v = env(name);
    const n = v === undefined || v.trim() === "" ? NaN : Number(v);
    return Number.isFinite(n) && n >= 0 ? n * scale : undefined;
  };
  const out: HttpStoreOptions = {
    username: env("MLFLOW_TRACKING_USERNAME") || undefined,
    password: env("MLFLOW_TRACKING_PASSWORD") || undefined,
    token: env("MLFLOW_TRACKING_TOKEN") || undefined,
    maxRetries: num("MLFLOW_HTTP_REQUEST_MAX_RETRIES"),
    backoffMs: num("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", 1000),
    timeoutMs: num("MLFLOW_HTTP_REQUEST_TIMEOUT", 1000),
  };
  for (const k of Object.keys(out) as (keyof HttpStoreOptions)[]) {
    if (out[k] === undefined) delete out[k];
  }
  return out;
}

/** Query of `experiments/search`. */
export interface SearchExperimentsRequest {
  filter?: string;
  viewType?: ViewType;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

/** Query of `runs/search`. */
export interface SearchRunsRequest {
  experimentIds: string[];
  filter?: string;
  viewType?: ViewType;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

/** Fields of `runs/create`. A missing experiment id means the default experiment "0". */
export interface CreateRunRequest {
  experimentId?: string;
  userId?: string;
  runName?: string;
  startTime?: number;
  tags?: Tag[];
}

/** Fields of `runs/update`: only the fields present change. */
export interface UpdateRunRequest {
  runId: string;
  status?: RunStatus;
  endTime?: number;
  runName?: string;
}

/** One `log-batch` call. */
export interface LogBatch {
  metrics?: Metric[];
  params?: Param[];
  tags?: Tag[];
}

/** Paging of `metrics/get-history`; an absent or 0 `maxResults` means no limit. */
export interface HistoryRequest {
  maxResults?: number;
  pageToken?: string;
}

/** Fields of `logged-models` (create). A missing name gets a random one. */
export interface CreateLoggedModelRequest {
  experimentId: string;
  name?: string;
  modelType?: string;
  sourceRunId?: string;
  params?: Param[];
  tags?: Tag[];
}

/** Query of `logged-models/search` (MLflow's filter grammar, default page of 100). */
export interface SearchLoggedModelsRequest {
  experimentIds: string[];
  filter?: string;
  datasets?: DatasetFilter[];
  maxResults?: number;
  orderBy?: LoggedModelOrderBy[];
  pageToken?: string;
}

/** MLflow's tracking operations over one store. */
export interface TrackingStore {
  /** The URI this store was opened from. */
  readonly uri: string;

  /** Creates an experiment and returns its id. */
  createExperiment(name: string, artifactLocation?: string, tags?: Tag[]): Promise<string>;
  /** Gets an experiment, deleted ones included; RESOURCE_DOES_NOT_EXIST when absent. */
  getExperiment(experimentId: string): Promise<Experiment>;
  /** Gets an experiment by name (deleted ones included), or undefined. */
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  /** Searches experiments with MLflow's filter, order and paging. */
  searchExperiments(req: SearchExperimentsRequest): Promise<Page<Experiment>>;
  /** Renames an active experiment. */
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  /** Marks an experiment and its active runs deleted. */
  deleteExperiment(experimentId: string): Promise<void>;
  /** Restores a deleted experiment and its deleted runs. */
  restoreExperiment(experimentId: string): Promise<void>;
  /** Sets (upserts) an experiment tag. */
  setExperimentTag(experimentId: string, tag: Tag): Promise<void>;
  /** Deletes an experiment tag; RESOURCE_DOES_NOT_EXIST when absent. */
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  /** Creates a run with MLflow's defaults (name, `mlflow.runName` tag, artifact URI). */
  createRun(req: CreateRunRequest): Promise<Run>;
  /** Gets a run with its latest metrics, params, tags and inputs. */
  getRun(runId: string): Promise<Run>;
  /** Updates status, end time and/or name of an active run. */
  updateRun(req: UpdateRunRequest): Promise<RunInfo>;
  /** Marks a run deleted. */
  deleteRun(runId: string): Promise<void>;
  /** Restores a deleted run. */
  restoreRun(runId: string): Promise<void>;
  /** Searches runs of the given experiments with MLflow's filter, order and paging. */
  searchRuns(req: SearchRunsRequest): Promise<Page<Run>>;

  /** Appends one metric point. */
  logMetric(runId: string, metric: Metric): Promise<void>;
  /** Logs a param; the same value again is a no-op, another value INVALID_PARAMETER_VALUE. */
  logParam(runId: string, param: Param): Promise<void>;
  /** Sets (upserts) a run tag; `mlflow.runName` also renames the run. */
  setTag(runId: string, tag: Tag): Promise<void>;
  /** Deletes a run tag; RESOURCE_DOES_NOT_EXIST when absent. */
  deleteTag(runId: string, key: string): Promise<void>;
  /** Logs params, then metrics, then tags, within MLflow's batch limits. */
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  /** Every point of one metric, in logging order, paged. */
  getMetricHistory(runId: string, key: string, req?: HistoryRequest): Promise<Page<Metric>>;
  /** Attaches datasets (once per dataset and run) and logged models it used to a run. */
  logInputs(runId: string, datasets: DatasetInput[], models?: ModelInput[]): Promise<void>;
  /** Records logged models an active run produced (once per model and run). */
  logOutputs(runId: string, models: ModelOutput[]): Promise<void>;

  /** Creates a logged model (status PENDING) in an active experiment. */
  createLoggedModel(req: CreateLoggedModelRequest): Promise<LoggedModel>;
  /** Gets a logged model; deleted ones only with `allowDeleted`; RESOURCE_DOES_NOT_EXIST. */
  getLoggedModel(modelId: string, opts?: { allowDeleted?: boolean }): Promise<LoggedModel>;
  /** Sets a logged model's status (READY or FAILED once its upload ended). */
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel>;
  /** Marks a logged model deleted (gc removes it for good). */
  deleteLoggedModel(modelId: string): Promise<void>;
  /** Sets (upserts) tags of a logged model. */
  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void>;
  /** Deletes a tag of a logged model; RESOURCE_DOES_NOT_EXIST when absent. */
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>;
  /** Logs params of a logged model; the same value again is a no-op, another one refused. */
  logLoggedModelParams(modelId: string, params: Param[]): Promise<void>;
  /** Searches the active logged models of experiments with MLflow's filter, order and paging. */
  searchLoggedModels(req: SearchLoggedModelsRequest): Promise<Page<LoggedModel>>;

  /** Ids of deleted runs whose deletion time is before `before` (ms; all when omitted). */
  deletedRunIds(before?: number): Promise<string[]>;
  /** Ids of deleted logged models last updated before `before` (ms; all when omitted). */
  deletedLoggedModelIds(before?: number): Promise<string[]>;
  /** Permanently removes a deleted logged model and its params, tags and metrics. */
  hardDeleteLoggedModel(modelId: string): Promise<void>;
  /** Permanently removes a run and its data. */
  hardDeleteRun(runId: string): Promise<void>;
  /** Permanently removes a deleted experiment and its runs. */
  hardDeleteExperiment(experimentId: string): Promise<void>;
  /** Releases files, handles and caches. */
  close(): Promise<void>;
  /**
   * Optional: `storeSummary` (server_banner.ts) without the search machinery, for a server's start
   * banner; a store without it is summarised by two searches.
   */
  summary?(): Promise<StoreSummary>;
}

/** What a server's start banner says of its store. */
export interface StoreSummary {
  /** Active experiments. */
  experiments: number;
  /** True when any of them holds a run (deleted runs too). */
  hasRuns: boolean;
}

/**
 * Reads every page of a search or history, up to `limit` items (pages of at most 1,000 unless
 * `fetchPage` picks its own size).
 */
export async function allPages<T>(
  fetchPage: (pageToken: string | undefined, maxResults: number) => Promise<{
    items: T[];
    nextPageToken?: string;
  }>,
  limit = Infinity,
): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token, Math.min(1000, limit - items.length));
    items.push(...page.items);
    token = page.nextPageToken;
  } while (token && items.length < limit);
  return { items, more: token !== undefined };
}
