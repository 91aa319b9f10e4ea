/**
 * The client side of MLflow's REST wire format: camelCase entities to request JSON and response
 * JSON back to entities (int64 as numbers or strings, NaN/±Infinity as strings, omitted fields).
 * The server side lives in src/api/wire.ts; this module must not import api/.
 */
import type {
  DatasetInput,
  Experiment,
  LifecycleStage,
  Metric,
  Run,
  RunInfo,
  RunStatus,
  Tag,
} from "../../model.ts";
import { isRunStatus } from "../../model.ts";
import type { Json } from "./rest_http.ts";

/** Thrown when a response lacks what MLflow's API promises; the store names the endpoint. */
export class ShapeError extends Error {}

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

/** A whole run from response JSON. */
export function runFromWire(v: unknown): Run {
  const o = obj(v, "run");
  const data = o.data == null ? {} : obj(o.data, "run.data");
  const inputs = o.inputs == null ? {} : obj(o.inputs, "run.inputs");
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
    },
  };
}

/** Reads a list field of a response, decoding each element. */
export function listFromWire<T>(v: unknown, what: string, decode: (x: unknown) => T): T[] {
  return list(v, what).map(decode);
}
