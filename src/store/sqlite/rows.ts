/**
 * Rows of MLflow's tables ↔ mlt's entities (reference §4.3): metric value encoding (NaN as
 * `is_nan` + 0, ±Infinity as ±max double), the column lists mlt selects, and row conversions.
 * Pure: no node:sqlite, no Deno.*.
 */
import { invalidParam, type MltError } from "../../errors.ts";
import { pyRepr } from "../../search/page_token.ts";
import type {
  Dataset,
  DatasetInput,
  Experiment,
  LifecycleStage,
  Metric,
  Run,
  RunInfo,
  RunStatus,
} from "../../model.ts";

/** A param a batch would change: its stored and its new value. */
export interface ParamConflict {
  key: string;
  old_value: string;
  new_value: string;
}

/**
 * MLflow's refusal of changed params: its one-param message when the request logged one param,
 * else the list of conflicts. `logged` is how many params the request logged.
 */
export function paramConflictError(
  runId: string,
  conflicts: ParamConflict[],
  logged: number,
): MltError {
  if (conflicts.length === 1 && logged === 1) {
    const c = conflicts[0];
    return invalidParam(
      `Changing param values is not allowed. Param with key='${c.key}' was already logged ` +
        `with value='${c.old_value}' for run ID='${runId}'. Attempted logging new value ` +
        `'${c.new_value}'.`,
    );
  }
  return invalidParam(
    `Changing param values is not allowed. Params were already logged='${
      pyRepr(conflicts)
    }' for run ID='${runId}'.`,
  );
}

/** The largest double: MLflow's stand-in for +Infinity in the `value` columns. */
export const MAX_DOUBLE = 1.7976931348623157e308;

/** A metric value as MLflow stores it: `[value, is_nan]`. */
export function encodeMetricValue(v: number): [number, 0 | 1] {
  return [storedMetricValue(v), Number.isNaN(v) ? 1 : 0];
}

/** The `value` column of a point: ±Infinity as ±max double, NaN as 0 (with `is_nan`). */
export function storedMetricValue(v: number): number {
  return Number.isNaN(v) ? 0 : v === Infinity ? MAX_DOUBLE : v === -Infinity ? -MAX_DOUBLE : v;
}

/**
 * MLflow's "latest" of a key: the greatest (step, timestamp, stored value), NaN counting as 0;
 * whether `a` replaces `b`, so the first of equal points stays.
 */
export function laterPoint(a: Metric, b: Metric): boolean {
  return a.step !== b.step
    ? a.step > b.step
    : a.timestamp !== b.timestamp
    ? a.timestamp > b.timestamp
    : storedMetricValue(a.value) > storedMetricValue(b.value);
}

/** The stored value back as a number: NaN for `is_nan`, ±Infinity for ±max double. */
export function decodeMetricValue(value: number | null, isNan: number | boolean | null): number {
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

/** How an integer column is selected: safeInt on SQLite; as it is where the driver converts. */
export type IntColumn = (col: string) => string;

const plain: IntColumn = (col) => col;

/** Columns of an experiment row, ids as text (18-digit ids exceed 2^53). */
export function experimentColumns(int: IntColumn = safeInt): string {
  return [
    "CAST(e.experiment_id AS TEXT) AS experiment_id",
    "e.name",
    "e.artifact_location",
    "e.lifecycle_stage",
    int("e.creation_time"),
    int("e.last_update_time"),
  ].join(", ");
}

/** EXPERIMENT_COLUMNS of SQLite. */
export const EXPERIMENT_COLUMNS = experimentColumns();

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

/** Columns of a run row, in the order of RunValues. */
export function runColumns(int: IntColumn = safeInt): string {
  return [
    "r.run_uuid",
    "CAST(r.experiment_id AS TEXT) AS experiment_id",
    "r.name",
    "r.user_id",
    "r.status",
    int("r.start_time"),
    int("r.end_time"),
    "r.artifact_uri",
    "r.lifecycle_stage",
    int("r.deleted_time"),
  ].join(", ");
}

/** RUN_COLUMNS of SQLite. */
export const RUN_COLUMNS = runColumns();

/**
 * A run row as selected with RUN_COLUMNS in array mode (`Statements.arrays`): run_uuid,
 * experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage,
 * deleted_time. Arrays, not objects: search pages read hundreds of rows per request.
 */
export type RunValues = [
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  number | null,
  number | null,
  string | null,
  string | null,
  number | null,
];

function stage(s: string | null): LifecycleStage {
  return s === "deleted" ? "deleted" : "active";
}

/** A run's info from its row (the first ten values of `v`, as RUN_COLUMNS selects them). */
export function runInfoFromValues(v: RunValues): RunInfo {
  const info: RunInfo = {
    runId: v[0],
    experimentId: v[1] ?? "",
    userId: v[3] ?? "",
    status: (v[4] ?? "RUNNING") as RunStatus,
    artifactUri: v[7] ?? "",
    lifecycleStage: stage(v[8]),
  };
  if (v[2] !== null) info.runName = v[2];
  if (v[5] !== null) info.startTime = v[5];
  if (v[6] !== null) info.endTime = v[6];
  if (v[9] !== null && info.lifecycleStage === "deleted") info.deletedTime = v[9];
  return info;
}

/** Columns of a `latest_metrics` row aliased `m`, in the order of MetricValues. */
export function metricColumns(int: IntColumn = safeInt): string {
  return ["m.key", "m.value", "m.is_nan", int("m.timestamp"), int("m.step")].join(", ");
}

/** METRIC_COLUMNS of SQLite. */
export const METRIC_COLUMNS = metricColumns();

/** The column lists of PostgreSQL, whose driver reads BIGINT as the nearest double itself. */
export const PG_COLUMNS = {
  experiment: experimentColumns(plain),
  run: runColumns(plain),
  metric: metricColumns(plain),
};

/** A metric row as selected with METRIC_COLUMNS in array mode: key, value, is_nan, timestamp, step. */
export type MetricValues = [
  string,
  number | null,
  number | boolean | null,
  number | null,
  number | null,
];

/** A metric point from its row (the first five values of `v`). */
export function metricFromValues(v: MetricValues): Metric {
  return {
    key: v[0],
    value: decodeMetricValue(v[1], v[2]),
    timestamp: v[3] ?? 0,
    step: v[4] ?? 0,
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

/** A run's dataset input joined to its dataset; `run_index` is the run's place in the list read. */
export type RunDatasetRow = DatasetRow & { run_index: number; input_uuid: string };

/** Adds runs' dataset inputs from their rows, each input once; the inputs by uuid. */
export function attachDatasetInputs(
  runs: (Run | undefined)[],
  rows: RunDatasetRow[],
): Map<string, DatasetInput> {
  const byInput = new Map<string, DatasetInput>();
  for (const r of rows) {
    if (byInput.has(r.input_uuid)) continue;
    const input: DatasetInput = { tags: [], dataset: datasetFromRow(r) };
    byInput.set(r.input_uuid, input);
    runs[r.run_index]?.inputs.datasetInputs.push(input);
  }
  return byInput;
}

/** Adds `input_tags` rows to attachDatasetInputs' inputs. */
export function attachInputTags(
  byInput: Map<string, DatasetInput>,
  tags: { input_uuid: string; name: string; value: string }[],
): void {
  for (const t of tags) byInput.get(t.input_uuid)?.tags.push({ key: t.name, value: t.value });
}

/** A point of a metric's history: value, is_nan, timestamp, step. */
export type HistoryRow = [number | null, number | boolean, number, number];

/** The first `n` history rows as points of the metric `key`. */
export function historyMetrics(key: string, rows: HistoryRow[], n: number): Metric[] {
  const out = new Array<Metric>(n);
  for (let i = 0; i < n; i++) {
    const [value, isNan, timestamp, step] = rows[i];
    out[i] = { key, value: decodeMetricValue(value, isNan), timestamp, step };
  }
  return out;
}
