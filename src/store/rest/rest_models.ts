/**
 * The logged-model half of the REST store: MLflow 3's `logged-models` endpoints (create, get,
 * finalize, delete, tags, params, search) as MLflow's Python client calls them. RestStore extends
 * this class and supplies its HTTP transport.
 */
import { encodeTags, LOGGED_MODEL_STATUS_WIRE } from "../../entity_json.ts";
import { MltError } from "../../errors.ts";
import type { LoggedModel, LoggedModelStatus, Page, Param, Tag } from "../../model.ts";
import type { CreateLoggedModelRequest, SearchLoggedModelsRequest } from "../store.ts";
import type { HttpMethod, HttpTransport, Json } from "./rest_http.ts";
import { callDecoded, listFromWire, loggedModelFromWire, pageFromWire } from "./rest_wire.ts";

/** Params sent with `logged-models` (create), then per `…/params` call: MLflow's client's 100. */
const PARAMS_PER_CALL = 100;

function modelPath(modelId: string, rest = ""): string {
  return `logged-models/${encodeURIComponent(modelId)}${rest}`;
}

/** Logged models over MLflow's REST API; the store supplies its transport. */
export abstract class RestModelStore {
  /** The store's HTTP transport. */
  protected abstract modelHttp(): HttpTransport;

  #model(method: HttpMethod, endpoint: string, fields: Json): Promise<LoggedModel> {
    return callDecoded(
      this.modelHttp(),
      method,
      endpoint,
      fields,
      (b) => loggedModelFromWire(b.model),
    );
  }

  async #send(method: HttpMethod, endpoint: string, fields: Json): Promise<void> {
    await this.modelHttp().call(method, endpoint, fields);
  }

  async createLoggedModel(req: CreateLoggedModelRequest): Promise<LoggedModel> {
    const params = req.params ?? [];
    const model = await this.#model("POST", "logged-models", {
      experiment_id: req.experimentId,
      name: req.name,
      model_type: req.modelType,
      source_run_id: req.sourceRunId,
      params: encodeTags(params.slice(0, PARAMS_PER_CALL)),
      tags: encodeTags(req.tags),
    });
    if (params.length <= PARAMS_PER_CALL) return model;
    await this.logLoggedModelParams(model.modelId, params.slice(PARAMS_PER_CALL));
    return await this.getLoggedModel(model.modelId);
  }

  getLoggedModel(modelId: string, o: { allowDeleted?: boolean } = {}): Promise<LoggedModel> {
    return this.#model("GET", modelPath(modelId), o.allowDeleted ? { allow_deleted: "true" } : {});
  }

  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return this.#model("PATCH", modelPath(modelId), {
      model_id: modelId,
      status: LOGGED_MODEL_STATUS_WIRE[status] ?? status,
    });
  }

  deleteLoggedModel(modelId: string): Promise<void> {
    return this.#send("DELETE", modelPath(modelId), { model_id: modelId });
  }

  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    return this.#send("PATCH", modelPath(modelId, "/tags"), { tags: encodeTags(tags) ?? [] });
  }

  deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    return this.#send("DELETE", modelPath(modelId, `/tags/${encodeURIComponent(key)}`), {});
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    for (let i = 0; i === 0 || i < params.length; i += PARAMS_PER_CALL) {
      await this.#send("POST", modelPath(modelId, "/params"), {
        model_id: modelId,
        params: encodeTags(params.slice(i, i + PARAMS_PER_CALL)),
      });
    }
  }

  searchLoggedModels(req: SearchLoggedModelsRequest): Promise<Page<LoggedModel>> {
    return callDecoded(this.modelHttp(), "POST", "logged-models/search", {
      experiment_ids: req.experimentIds,
      filter: req.filter || undefined,
      datasets: req.datasets?.length
        ? req.datasets.map((d) => ({
          dataset_name: d.datasetName,
          dataset_digest: d.datasetDigest,
        }))
        : undefined,
      max_results: req.maxResults,
      order_by: req.orderBy?.length
        ? req.orderBy.map((o) => ({
          field_name: o.fieldName,
          ascending: o.ascending,
          dataset_name: o.datasetName,
          dataset_digest: o.datasetDigest,
        }))
        : undefined,
      page_token: req.pageToken || undefined,
    }, (b) => pageFromWire(listFromWire(b.models, "models", loggedModelFromWire), b));
  }

  deletedLoggedModelIds(_before?: number): Promise<string[]> {
    return Promise.reject(this.noHardDelete("list deleted logged models"));
  }

  hardDeleteLoggedModel(_modelId: string): Promise<void> {
    return Promise.reject(this.noHardDelete("permanently delete logged models"));
  }

  /** NOT_IMPLEMENTED: MLflow's REST API cannot delete anything for good. */
  protected noHardDelete(what: string): MltError {
    return new MltError(
      "NOT_IMPLEMENTED",
      `Cannot ${what} through the tracking server at ${this.modelHttp().base}: MLflow's REST API ` +
        "has no endpoint for it; run the command against the server's backend store instead " +
        "(--tracking-uri <its --backend-store-uri>)",
    );
  }
}
