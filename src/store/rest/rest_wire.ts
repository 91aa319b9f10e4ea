/**
 * The client side of MLflow's REST wire format: camelCase entities to request JSON and response
 * JSON back to entities (int64 as numbers or strings, NaN/±Infinity as strings, omitted fields).
 * The server side lives in src/api/wire.ts; this module must not import api/.
 */
import type {
  DatasetInput,
  Experiment,
  LifecycleStage,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  Page,
  Run,
  RunInfo,
  RunStatus,
  Tag,
} from "../../model.ts";
import { isRunStatus, LOGGED_MODEL_STATUSES } from "../../model.ts";
import { LOGGED_MODEL_STATUS_WIRE } from "../../entity_json.ts";
import type { HttpMethod, HttpTransport, Json } from "./rest_http.ts";

/** Thrown when a response lacks what MLflow's API promises; the store names the endpoint. */
export class ShapeError extends Error {}

/** One call, its answer decoded by `decode`; a missing or ill-typed field names the endpoint. */
export async function callDecoded<T>(
  http: HttpTransport,
  method: HttpMethod,
  endpoint: string,
  fields: Json,
  decode: (body: Json) => T,
): Promise<T> {
  const body = await http.call(method, endpoint, fields);
  try {
    return decode(body);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw http.garbage(`${method} ${endpoint}`, `JSON with ${e.message}`);
  }
}

/** `v` as a JSON object, or a ShapeError naming `what`. */
export function obj(v: unknown, what: string): Json {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ShapeError(`no object "${what}"`);
  }
  return v as Json;
}

/** `v` as a list (absent → empty), or a ShapeError. */
export function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ShapeError(`"${what}" that is not a list`);
  return v;
}

/** `v` as a string (numbers too), or a ShapeError. */
export function str(v: unknown, what: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  throw new ShapeError(`no string "${what}"`);
}

function optStr(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** protobuf JSON writes int64 as a number or a decimal string; anything else is unset. */
export function optInt(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

function doubleFromWire(v: unknown, what: string): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  throw new ShapeError(`no number "${what}"`);
}

/** A list of `{key, value}` messages. */
export function tagsFromWire(v: unknown, what: string): Tag[] {
  return list(v, what).map((t, i) => {
    const o = obj(t, `${what}[${i}]`);
    return { key: str(o.key, `${what}[${i}].key`), value: o.value == null ? "" : String(o.value) };
  });
}

export function metricFromWire(v: unknown): Metric {
  const o = obj(v, "metric");
  const m: Metric = {
    key: str(o.key, "metric.key"),
    value: doubleFromWire(o.value, "metric.value"),
    timestamp: optInt(o.timestamp) ?? 0,
    step: optInt(o.step) ?? 0,
  };
  if (optStr(o.dataset_name)) m.datasetName = o.dataset_name;
  if (optStr(o.dataset_digest)) m.datasetDigest = o.dataset_digest;
  if (optStr(o.model_id)) m.modelId = o.model_id;
  if (optStr(o.run_id)) m.runId = o.run_id;
  return m;
}

function stage(v: unknown): LifecycleStage {
  return v === "deleted" ? "deleted" : "active";
}

/** An experiment from response JSON. */
export function experimentFromWire(v: unknown): Experiment {
  const o = obj(v, "experiment");
  const e: Experiment = {
    experimentId: str(o.experiment_id, "experiment.experiment_id"),
    name: str(o.name, "experiment.name"),
    artifactLocation: o.artifact_location == null ? "" : String(o.artifact_location),
    lifecycleStage: stage(o.lifecycle_stage),
    tags: tagsFromWire(o.tags, "experiment.tags"),
  };
  const created = optInt(o.creation_time);
  const updated = optInt(o.last_update_time);
  if (created !== undefined) e.creationTime = created;
  if (updated !== undefined) e.lastUpdateTime = updated;
  return e;
}

function status(v: unknown): RunStatus {
  if (typeof v === "string" && isRunStatus(v)) return v;
  const n = optInt(v);
  if (n !== undefined && n >= 1 && n <= 5) {
    return (["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"] as const)[n - 1];
  }
  throw new ShapeError(`unknown run status ${JSON.stringify(v)}`);
}

/** A run's info from response JSON (`run_uuid` of old servers included). */
export function runInfoFromWire(v: unknown): RunInfo {
  const o = obj(v, "run_info");
  const info: RunInfo = {
    runId: str(o.run_id ?? o.run_uuid, "run_info.run_id"),
    experimentId: str(o.experiment_id, "run_info.experiment_id"),
    userId: o.user_id == null ? "" : String(o.user_id),
    status: status(o.status ?? "RUNNING"),
    artifactUri: o.artifact_uri == null ? "" : String(o.artifact_uri),
    lifecycleStage: stage(o.lifecycle_stage),
  };
  if (optStr(o.run_name)) info.runName = o.run_name;
  const start = optInt(o.start_time);
  const end = optInt(o.end_time);
  if (start !== undefined) info.startTime = start;
  if (end) info.endTime = end;
  return info;
}

function datasetInputFromWire(v: unknown, i: number): DatasetInput {
  const o = obj(v, `dataset_inputs[${i}]`);
  const d = obj(o.dataset, `dataset_inputs[${i}].dataset`);
  const input: DatasetInput = {
    tags: tagsFromWire(o.tags, `dataset_inputs[${i}].tags`),
    dataset: {
      name: str(d.name, "dataset.name"),
      digest: str(d.digest, "dataset.digest"),
      sourceType: str(d.source_type, "dataset.source_type"),
      source: str(d.source, "dataset.source"),
    },
  };
  if (optStr(d.schema)) input.dataset.schema = d.schema;
  if (optStr(d.profile)) input.dataset.profile = d.profile;
  return input;
}

function modelLink(v: unknown, what: string): { modelId: string; step: number } {
  const o = obj(v, what);
  return { modelId: str(o.model_id, `${what}.model_id`), step: optInt(o.step) ?? 0 };
}

/** A whole run from response JSON. */
export function runFromWire(v: unknown): Run {
  const o = obj(v, "run");
  const data = o.data == null ? {} : obj(o.data, "run.data");
  const inputs = o.inputs == null ? {} : obj(o.inputs, "run.inputs");
  const outputs = o.outputs == null ? {} : obj(o.outputs, "run.outputs");
  return {
    info: runInfoFromWire(o.info),
    data: {
      metrics: list(data.metrics, "run.data.metrics").map(metricFromWire),
      params: tagsFromWire(data.params, "run.data.params"),
      tags: tagsFromWire(data.tags, "run.data.tags"),
    },
    inputs: {
      datasetInputs: list(inputs.dataset_inputs, "run.inputs.dataset_inputs").map(
        datasetInputFromWire,
      ),
      modelInputs: list(inputs.model_inputs, "run.inputs.model_inputs").map((x) => ({
        modelId: modelLink(x, "model_input").modelId,
      })),
    },
    outputs: {
      modelOutputs: list(outputs.model_outputs, "run.outputs.model_outputs").map((x) =>
        modelLink(x, "model_output")
      ),
    },
  };
}

function modelStatus(v: unknown): LoggedModelStatus {
  const n = optInt(v);
  if (n !== undefined && n >= 0 && n < LOGGED_MODEL_STATUSES.length) {
    return LOGGED_MODEL_STATUSES[n];
  }
  const found = LOGGED_MODEL_STATUSES.find((s) => LOGGED_MODEL_STATUS_WIRE[s] === v);
  if (found) return found;
  if (v === undefined) return "UNSPECIFIED";
  throw new ShapeError(`unknown logged model status ${JSON.stringify(v)}`);
}

/** A logged model from response JSON (`{info, data}`). */
export function loggedModelFromWire(v: unknown): LoggedModel {
  const o = obj(v, "model");
  const info = obj(o.info, "model.info");
  const data = o.data == null ? {} : obj(o.data, "model.data");
  const m: LoggedModel = {
    modelId: str(info.model_id, "model.info.model_id"),
    experimentId: str(info.experiment_id, "model.info.experiment_id"),
    name: str(info.name, "model.info.name"),
    artifactLocation: info.artifact_uri == null ? "" : String(info.artifact_uri),
    creationTimestamp: optInt(info.creation_timestamp_ms) ?? 0,
    lastUpdatedTimestamp: optInt(info.last_updated_timestamp_ms) ?? 0,
    status: modelStatus(info.status),
    tags: tagsFromWire(info.tags, "model.info.tags"),
    params: tagsFromWire(data.params, "model.data.params"),
    metrics: list(data.metrics, "model.data.metrics").map(metricFromWire),
  };
  // Unlike other strings, these keep "" (MLflow stores what the request carried).
  if (typeof info.model_type === "string") m.modelType = info.model_type;
  if (typeof info.source_run_id === "string") m.sourceRunId = info.source_run_id;
  if (typeof info.status_message === "string") m.statusMessage = info.status_message;
  return m;
}

/** Reads a list field of a response, decoding each element. */
export function listFromWire<T>(v: unknown, what: string, decode: (x: unknown) => T): T[] {
  return list(v, what).map(decode);
}

/** A page of decoded items and the response's next_page_token (an empty token ends paging). */
export function pageFromWire<T>(items: T[], b: Json): Page<T> {
  const token = typeof b.next_page_token === "string" && b.next_page_token !== ""
    ? b.next_page_token
    : undefined;
  return token ? { items, nextPageToken: token } : { items };
}
