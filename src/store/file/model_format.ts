/**
 * The mlruns formats of MLflow 3's logged models, beside format.ts: a model's meta.yaml
 * (`<exp>/models/<id>/meta.yaml`), its metric lines (`<ts> <value> <step> <run_id>` plus dataset
 * name and digest) and a run's output edge (`<run>/outputs/<id>/meta.yaml`). Pure.
 */
import { MltError } from "../../errors.ts";
import {
  LOGGED_MODEL_STATUSES,
  type LoggedModel,
  type LoggedModelStatus,
  type Metric,
} from "../../model.ts";
import { dumpYaml, formatFloat, isLater, parseFloatText } from "./format.ts";

/** A model's meta.yaml content: the model without tags, params and metrics, and its stage. */
export interface ModelMeta {
  model: LoggedModel;
  deleted: boolean;
}

/**
 * The meta.yaml of a model as MLflow writes it. `stage` writes `lifecycle_stage` (create and
 * delete do; MLflow's finalize rewrites the file without it). Unknown keys of `base` are kept.
 */
export function loggedModelToYaml(
  m: LoggedModel,
  stage: "active" | "deleted" | undefined,
  base: Record<string, unknown> = {},
): string {
  const { lifecycle_stage: _, ...kept } = base;
  const obj: Record<string, unknown> = {
    ...kept,
    artifact_location: m.artifactLocation,
    creation_timestamp: m.creationTimestamp,
    experiment_id: m.experimentId,
    last_updated_timestamp: m.lastUpdatedTimestamp,
    model_id: m.modelId,
    model_type: m.modelType ?? null,
    name: m.name,
    source_run_id: m.sourceRunId ?? null,
    status: LOGGED_MODEL_STATUSES.indexOf(m.status),
    status_message: m.statusMessage ?? null,
  };
  if (stage) obj.lifecycle_stage = stage;
  return dumpYaml(obj);
}

function str(v: unknown, what: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  throw new Error(`"${what}" is missing or not a string`);
}

function int(v: unknown, what: string): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  throw new Error(`"${what}" is missing or not an integer`);
}

function optStr(v: unknown): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

function status(v: unknown): LoggedModelStatus {
  if (typeof v === "number" && v >= 0 && v < LOGGED_MODEL_STATUSES.length) {
    return LOGGED_MODEL_STATUSES[v];
  }
  if (typeof v === "string" && (LOGGED_MODEL_STATUSES as readonly string[]).includes(v)) {
    return v as LoggedModelStatus;
  }
  throw new Error(`unknown status ${JSON.stringify(v)}`);
}

/** Reads a model's meta mapping (tags, params and metrics come from files); throws Error. */
export function loggedModelFromMeta(m: Record<string, unknown>): ModelMeta {
  const stage = m.lifecycle_stage ?? "active";
  if (stage !== "active" && stage !== "deleted") {
    throw new Error(`unknown lifecycle_stage ${JSON.stringify(stage)}`);
  }
  const model: LoggedModel = {
    modelId: str(m.model_id, "model_id"),
    experimentId: str(m.experiment_id, "experiment_id"),
    name: str(m.name, "name"),
    artifactLocation: str(m.artifact_location, "artifact_location"),
    creationTimestamp: int(m.creation_timestamp, "creation_timestamp"),
    lastUpdatedTimestamp: int(m.last_updated_timestamp, "last_updated_timestamp"),
    status: status(m.status),
    tags: [],
    params: [],
    metrics: [],
  };
  const optional = {
    modelType: optStr(m.model_type),
    sourceRunId: optStr(m.source_run_id),
    statusMessage: optStr(m.status_message),
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined) (model as unknown as Record<string, unknown>)[k] = v;
  }
  return { model, deleted: stage === "deleted" };
}

/** One line of a model's metric file (with its newline): the run id after the step. */
export function modelMetricLine(m: Metric, runId: string): string {
  const base = `${m.timestamp} ${formatFloat(m.value)} ${m.step} ${runId}`;
  return m.datasetName !== undefined && m.datasetDigest !== undefined
    ? `${base} ${m.datasetName} ${m.datasetDigest}\n`
    : `${base}\n`;
}

function parseModelMetricLine(key: string, modelId: string, line: string): Metric {
  const parts = line.trim().split(" ");
  if (parts.length !== 4 && parts.length !== 6) {
    throw new MltError(
      "INTERNAL_ERROR",
      `Metric '${key}' is malformed; persisted metric data contained ${parts.length} fields. ` +
        "Expected 4 or 6 fields.",
    );
  }
  const value = parseFloatText(parts[1]);
  if (!/^[+-]?\d+$/.test(parts[0]) || !/^[+-]?\d+$/.test(parts[2]) || value === undefined) {
    throw new MltError(
      "INTERNAL_ERROR",
      `Metric '${key}' is malformed; line ${JSON.stringify(line)} holds a non-numeric field.`,
    );
  }
  const m: Metric = {
    key,
    value,
    timestamp: Number(parts[0]),
    step: Number(parts[2]),
    runId: parts[3],
    modelId,
  };
  if (parts.length === 6) {
    m.datasetName = parts[4];
    m.datasetDigest = parts[5];
  }
  return m;
}

/**
 * A model's points of one metric as MLflow reads them: per (dataset name, digest), the latest
 * point by (step, timestamp, value), groups in order of first appearance. Complete lines only.
 */
export function parseModelMetricText(key: string, modelId: string, text: string): Metric[] {
  const groups = new Map<string, Metric>();
  const end = text.lastIndexOf("\n");
  for (const line of text.slice(0, end + 1).split("\n")) {
    if (line.trim() === "") continue;
    const m = parseModelMetricLine(key, modelId, line);
    const group = `${m.datasetName ?? ""}\n${m.datasetDigest ?? ""}\n${
      m.datasetName !== undefined
    }`;
    const cur = groups.get(group);
    if (!cur || isLater(m, cur)) groups.set(group, m);
  }
  return [...groups.values()];
}

/** A run's output edge to a model (MLflow writes the model id as both source and destination). */
export function outputToYaml(modelId: string, step: number): string {
  return dumpYaml({
    destination_id: modelId,
    destination_type: "MODEL_OUTPUT",
    source_id: modelId,
    source_type: "RUN_OUTPUT",
    step,
    tags: {},
  });
}

/** The model and step of an output edge mapping; undefined when it is not a model output. */
export function outputFromMeta(
  m: Record<string, unknown>,
): { modelId: string; step: number } | undefined {
  if (m.destination_type !== "MODEL_OUTPUT") return undefined;
  const modelId = str(m.destination_id ?? m.source_id, "destination_id");
  const step = typeof m.step === "number" && Number.isInteger(m.step) ? m.step : 0;
  return { modelId, step };
}
