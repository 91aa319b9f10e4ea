/**
 * Rows of MLflow's tables ↔ mlt's entities (reference §4.3): metric value encoding (NaN as
 * `is_nan` + 0, ±Infinity as ±max double), the column lists mlt selects, and row conversions.
 * Pure: no node:sqlite, no Deno.*.
 */
import type {
  Dataset,
  Experiment,
  LifecycleStage,
  Metric,
  RunInfo,
  RunStatus,
} from "../../model.ts";

/** The largest double: MLflow's stand-in for +Infinity in the `value` columns. */
export const MAX_DOUBLE = 1.7976931348623157e308;

/** A metric value as MLflow stores it: `[value, is_nan]`. */
export function encodeMetricValue(v: number): [number, 0 | 1] {
  if (Number.isNaN(v)) return [0, 1];
  if (v === Infinity) return [MAX_DOUBLE, 0];
  if (v === -Infinity) return [-MAX_DOUBLE, 0];
  return [v, 0];
}

/** The stored value back as a number: NaN for `is_nan`, ±Infinity for ±max double. */
export function decodeMetricValue(value: number | null, isNan: number | null): number {
  if (isNan) return NaN;
  if (value === null) return NaN;
  if (value >= MAX_DOUBLE) return Infinity;
  if (value <= -MAX_DOUBLE) return -Infinity;
  return value;
}

/**
 * An integer column as a JS-safe value: node:sqlite throws on integers beyond 2^53, which a
 * Python client can store (steps up to 2^63), so those come back as the nearest double.
 */
export function safeInt(col: string, alias = col.replace(/^\w+\./, "")): string {
  return `CASE WHEN ${col} BETWEEN -9007199254740991 AND 9007199254740991 THEN ${col} ` +
    `ELSE CAST(${col} AS REAL) END AS ${alias}`;
}

/** Columns of an experiment row, ids as text (18-digit ids exceed 2^53). */
export const EXPERIMENT_COLUMNS = [
  "CAST(e.experiment_id AS TEXT) AS experiment_id",
  "e.name",
  "e.artifact_location",
  "e.lifecycle_stage",
  safeInt("e.creation_time"),
  safeInt("e.last_update_time"),
].join(", ");

/** An experiment row as selected with EXPERIMENT_COLUMNS. */
export interface ExperimentRow {
  experiment_id: string;
  name: string;
  artifact_location: string | null;
  lifecycle_stage: string | null;
  creation_time: number | null;
  last_update_time: number | null;
}

/** An experiment from its row (tags are added by the caller). */
export function experimentFromRow(r: ExperimentRow): Experiment {
  const exp: Experiment = {
    experimentId: r.experiment_id,
    name: r.name,
    artifactLocation: r.artifact_location ?? "",
    lifecycleStage: stage(r.lifecycle_stage),
    tags: [],
  };
  if (r.creation_time !== null) exp.creationTime = r.creation_time;
  if (r.last_update_time !== null) exp.lastUpdateTime = r.last_update_time;
  return exp;
}

/** Columns of a run row. */
export const RUN_COLUMNS = [
  "r.run_uuid",
  "CAST(r.experiment_id AS TEXT) AS experiment_id",
  "r.name",
  "r.user_id",
  "r.status",
  safeInt("r.start_time"),
  safeInt("r.end_time"),
  "r.artifact_uri",
  "r.lifecycle_stage",
  safeInt("r.deleted_time"),
].join(", ");

/** A run row as selected with RUN_COLUMNS. */
export interface RunRow {
  run_uuid: string;
  experiment_id: string | null;
  name: string | null;
  user_id: string | null;
  status: string | null;
  start_time: number | null;
  end_time: number | null;
  artifact_uri: string | null;
  lifecycle_stage: string | null;
  deleted_time: number | null;
}

function stage(s: string | null): LifecycleStage {
  return s === "deleted" ? "deleted" : "active";
}

/** A run's info from its row. */
export function runInfoFromRow(r: RunRow): RunInfo {
  const info: RunInfo = {
    runId: r.run_uuid,
    experimentId: r.experiment_id ?? "",
    userId: r.user_id ?? "",
    status: (r.status ?? "RUNNING") as RunStatus,
    artifactUri: r.artifact_uri ?? "",
    lifecycleStage: stage(r.lifecycle_stage),
  };
  if (r.name !== null) info.runName = r.name;
  if (r.start_time !== null) info.startTime = r.start_time;
  if (r.end_time !== null) info.endTime = r.end_time;
  if (r.deleted_time !== null && info.lifecycleStage === "deleted") {
    info.deletedTime = r.deleted_time;
  }
  return info;
}

/** Columns of a `metrics` or `latest_metrics` row. */
export const METRIC_COLUMNS = ["key", "value", "is_nan", safeInt("timestamp"), safeInt("step")]
  .join(", ");

/** A metric row as selected with METRIC_COLUMNS. */
export interface MetricRow {
  key: string;
  value: number | null;
  is_nan: number | null;
  timestamp: number | null;
  step: number | null;
}

/** A metric point from its row. */
export function metricFromRow(r: MetricRow): Metric {
  return {
    key: r.key,
    value: decodeMetricValue(r.value, r.is_nan),
    timestamp: r.timestamp ?? 0,
    step: r.step ?? 0,
  };
}

/** A dataset row (`datasets`). */
export interface DatasetRow {
  name: string;
  digest: string;
  dataset_source_type: string;
  dataset_source: string;
  dataset_schema: string | null;
  dataset_profile: string | null;
}

/** A dataset from its row; absent schema and profile stay absent. */
export function datasetFromRow(r: DatasetRow): Dataset {
  const d: Dataset = {
    name: r.name,
    digest: r.digest,
    sourceType: r.dataset_source_type,
    source: r.dataset_source,
  };
  if (r.dataset_schema !== null) d.schema = r.dataset_schema;
  if (r.dataset_profile !== null) d.profile = r.dataset_profile;
  return d;
}
