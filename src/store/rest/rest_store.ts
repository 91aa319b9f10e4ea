/**
 * The REST store: TrackingStore over MLflow's tracking REST API (an `mlt server`, or MLflow's).
 * Used by the CLI and the TS client for http(s) tracking URIs. MLflow has no REST endpoints for
 * permanent deletion, so those operations answer NOT_IMPLEMENTED.
 * Must not import other store implementations, api/, ui/ or cli/.
 */
import { encodeDatasetInput, encodeMetricFields, encodeTags } from "../../entity_json.ts";
import { MltError } from "../../errors.ts";
import type {
  DatasetInput,
  Experiment,
  Metric,
  ModelInput,
  ModelOutput,
  Page,
  Param,
  Run,
  RunInfo,
  Tag,
} from "../../model.ts";
import {
  allPages,
  type CreateRunRequest,
  type HistoryRequest,
  type LogBatch,
  type SearchExperimentsRequest,
  type SearchRunsRequest,
  type StoreOptions,
  type TrackingStore,
  type UpdateRunRequest,
} from "../store.ts";
import { HttpTransport, type Json } from "./rest_http.ts";
import { RestModelStore } from "./rest_models.ts";
import {
  callDecoded,
  experimentFromWire,
  listFromWire,
  metricFromWire,
  pageFromWire as page,
  runFromWire,
  runInfoFromWire,
  ShapeError,
} from "./rest_wire.ts";

/** `max_results` of searches that do not set one (MLflow's server requires it; its clients send 1000). */
const DEFAULT_MAX_RESULTS = 1000;
/** Page size of history reads, as MLflow's client uses. */
const HISTORY_PAGE = 25000;

/** MLflow's tracking API over HTTP (logged models: RestModelStore). */
export class RestStore extends RestModelStore implements TrackingStore {
  readonly uri: string;
  readonly #http: HttpTransport;

  constructor(uri: string, opts: StoreOptions = {}) {
    super();
    this.#http = new HttpTransport(uri, opts.http);
    this.uri = this.#http.base;
  }

  // One call, decoding the answer with `decode`; a missing or ill-typed field names the endpoint.
  #call<T>(
    method: "GET" | "POST",
    endpoint: string,
    fields: Json,
    decode: (body: Json) => T,
  ): Promise<T> {
    return callDecoded(this.#http, method, endpoint, fields, decode);
  }

  protected modelHttp(): HttpTransport {
    return this.#http;
  }

  async #post(endpoint: string, fields: Json): Promise<void> {
    await this.#http.call("POST", endpoint, fields);
  }

  createExperiment(name: string, artifactLocation?: string, tags?: Tag[]): Promise<string> {
    return this.#call("POST", "experiments/create", {
      name,
      artifact_location: artifactLocation || undefined,
      tags: encodeTags(tags),
    }, (b) => {
      if (typeof b.experiment_id !== "string" && typeof b.experiment_id !== "number") {
        throw new ShapeError('no "experiment_id"');
      }
      return String(b.experiment_id);
    });
  }

  getExperiment(experimentId: string): Promise<Experiment> {
    return this.#call(
      "GET",
      "experiments/get",
      { experiment_id: experimentId },
      (b) => experimentFromWire(b.experiment),
    );
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      return await this.#call(
        "GET",
        "experiments/get-by-name",
        { experiment_name: name },
        (b) => experimentFromWire(b.experiment),
      );
    } catch (e) {
      if (e instanceof MltError && e.code === "RESOURCE_DOES_NOT_EXIST") return undefined;
      throw e;
    }
  }

  searchExperiments(req: SearchExperimentsRequest): Promise<Page<Experiment>> {
    return this.#call("POST", "experiments/search", {
      max_results: req.maxResults ?? DEFAULT_MAX_RESULTS,
      page_token: req.pageToken || undefined,
      filter: req.filter || undefined,
      order_by: req.orderBy?.length ? req.orderBy : undefined,
      view_type: req.viewType,
    }, (b) => page(listFromWire(b.experiments, "experiments", experimentFromWire), b));
  }

  renameExperiment(experimentId: string, newName: string): Promise<void> {
    return this.#post("experiments/update", { experiment_id: experimentId, new_name: newName });
  }

  deleteExperiment(experimentId: string): Promise<void> {
    return this.#post("experiments/delete", { experiment_id: experimentId });
  }

  restoreExperiment(experimentId: string): Promise<void> {
    return this.#post("experiments/restore", { experiment_id: experimentId });
  }

  setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    return this.#post("experiments/set-experiment-tag", {
      experiment_id: experimentId,
      key: tag.key,
      value: tag.value,
    });
  }

  deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    return this.#post("experiments/delete-experiment-tag", { experiment_id: experimentId, key });
  }

  createRun(req: CreateRunRequest): Promise<Run> {
    return this.#call("POST", "runs/create", {
      experiment_id: req.experimentId,
      user_id: req.userId,
      run_name: req.runName,
      start_time: req.startTime,
      tags: encodeTags(req.tags),
    }, (b) => runFromWire(b.run));
  }

  getRun(runId: string): Promise<Run> {
    return this.#call("GET", "runs/get", { run_id: runId }, (b) => runFromWire(b.run));
  }

  updateRun(req: UpdateRunRequest): Promise<RunInfo> {
    return this.#call("POST", "runs/update", {
      run_id: req.runId,
      status: req.status,
      end_time: req.endTime,
      run_name: req.runName,
    }, (b) => runInfoFromWire(b.run_info));
  }

  deleteRun(runId: string): Promise<void> {
    return this.#post("runs/delete", { run_id: runId });
  }

  restoreRun(runId: string): Promise<void> {
    return this.#post("runs/restore", { run_id: runId });
  }

  searchRuns(req: SearchRunsRequest): Promise<Page<Run>> {
    return this.#call("POST", "runs/search", {
      experiment_ids: req.experimentIds,
      filter: req.filter || undefined,
      run_view_type: req.viewType,
      max_results: req.maxResults ?? DEFAULT_MAX_RESULTS,
      order_by: req.orderBy?.length ? req.orderBy : undefined,
      page_token: req.pageToken || undefined,
    }, (b) => page(listFromWire(b.runs, "runs", runFromWire), b));
  }

  logMetric(runId: string, metric: Metric): Promise<void> {
    return this.#post("runs/log-metric", { run_id: runId, ...encodeMetricFields(metric) });
  }

  logParam(runId: string, param: Param): Promise<void> {
    return this.#post("runs/log-parameter", { run_id: runId, key: param.key, value: param.value });
  }

  setTag(runId: string, tag: Tag): Promise<void> {
    return this.#post("runs/set-tag", { run_id: runId, key: tag.key, value: tag.value });
  }

  deleteTag(runId: string, key: string): Promise<void> {
    return this.#post("runs/delete-tag", { run_id: runId, key });
  }

  logBatch(runId: string, batch: LogBatch): Promise<void> {
    return this.#post("runs/log-batch", {
      run_id: runId,
      metrics: batch.metrics?.map(encodeMetricFields),
      params: encodeTags(batch.params),
      tags: encodeTags(batch.tags),
    });
  }

  async getMetricHistory(
    runId: string,
    key: string,
    req: HistoryRequest = {},
  ): Promise<Page<Metric>> {
    const fetchPage = (maxResults: number, pageToken?: string) =>
      this.#call("GET", "metrics/get-history", {
        run_id: runId,
        metric_key: key,
        max_results: maxResults,
        page_token: pageToken,
      }, (b) => page(listFromWire(b.metrics, "metrics", metricFromWire), b));
    if (req.maxResults) return await fetchPage(req.maxResults, req.pageToken);
    // No limit: follow the pages (MLflow's server answers an omitted max_results with nothing).
    const { items } = await allPages((token) => fetchPage(HISTORY_PAGE, token ?? req.pageToken));
    return { items };
  }

  logInputs(runId: string, datasets: DatasetInput[], models: ModelInput[] = []): Promise<void> {
    return this.#post("runs/log-inputs", {
      run_id: runId,
      datasets: datasets.map(encodeDatasetInput),
      models: models.length ? models.map((m) => ({ model_id: m.modelId })) : undefined,
    });
  }

  logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    return this.#post("runs/outputs", {
      run_id: runId,
      models: models.map((m) => ({ model_id: m.modelId, step: m.step })),
    });
  }

  deletedRunIds(_before?: number): Promise<string[]> {
    return Promise.reject(this.noHardDelete("list deleted runs"));
  }

  hardDeleteRun(_runId: string): Promise<void> {
    return Promise.reject(this.noHardDelete("permanently delete runs"));
  }

  hardDeleteExperiment(_experimentId: string): Promise<void> {
    return Promise.reject(this.noHardDelete("permanently delete experiments"));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
