/**
 * MLflow 3 logged models on SQLite: rows of `logged_models`, `logged_model_params`,
 * `logged_model_tags`, `logged_model_metrics` and the `inputs` edges of runs' model inputs
 * (RUN_INPUT → MODEL_INPUT) and outputs (RUN_OUTPUT → MODEL_OUTPUT), as MLflow's SQL store
 * writes them. Reads load models in bulk, in the order of their ids.
 */
import type { LoggedModel, Metric, ModelInput, ModelOutput, Param, Run, Tag } from "../../model.ts";
import type { Statements } from "./connection.ts";
import {
  assembleModels,
  attachModelLinks,
  DELETE_MODEL_TAG_SQL,
  deleteModelsSql,
  insertModelSql,
  type KeyValueRow,
  linkTypes,
  MODEL_COLUMNS,
  MODEL_EXPERIMENT_SQL,
  modelNotFound,
  modelParamChanged,
  type ModelRow,
  modelRowArgs,
  modelTagNotFound,
  type PointRow,
} from "./model_rows.ts";
import { safeInt, storedMetricValue } from "./rows.ts";

/** The experiment (INTEGER, as text) of a model; deleted models only when allowed. */
export function modelExperiment(s: Statements, modelId: string, allowDeleted = false): string {
  const row = s.one<{ e: string; stage: string | null }>(MODEL_EXPERIMENT_SQL, modelId);
  if (!row || (!allowDeleted && row.stage === "deleted")) throw modelNotFound(modelId);
  return row.e;
}

/** A new model row (status PENDING) with its params and tags. */
export function insertModel(w: Statements, m: LoggedModel): void {
  w.run(insertModelSql(), ...modelRowArgs(m, "active"));
  insertModelParams(w, m.modelId, m.experimentId, m.params);
  upsertModelTags(w, m.modelId, m.experimentId, m.tags);
}

/** Sets columns of an active model and its last-updated time; RESOURCE_DOES_NOT_EXIST. */
export function updateModel(
  w: Statements,
  modelId: string,
  now: number,
  set: { status?: number; stage?: "deleted" },
): void {
  const n = w.run(
    "UPDATE logged_models SET status = COALESCE(?, status), lifecycle_stage = " +
      "COALESCE(?, lifecycle_stage), last_updated_timestamp_ms = ? WHERE model_id = ? AND " +
      "COALESCE(lifecycle_stage, 'active') != 'deleted'",
    set.status ?? null,
    set.stage ?? null,
    now,
    modelId,
  );
  if (n === 0) throw modelNotFound(modelId);
}

/** Upserts tags of a model. */
export function upsertModelTags(w: Statements, modelId: string, exp: string, tags: Tag[]): void {
  for (const t of tags) {
    w.run(
      "INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) " +
        "VALUES (?, ?, ?, ?) ON CONFLICT (model_id, tag_key) DO UPDATE SET " +
        "tag_value = excluded.tag_value",
      modelId,
      BigInt(exp),
      t.key,
      t.value,
    );
  }
}

/** Deletes a tag of a model; RESOURCE_DOES_NOT_EXIST (MLflow's message) when absent. */
export function deleteModelTag(w: Statements, modelId: string, key: string): void {
  if (w.run(DELETE_MODEL_TAG_SQL, modelId, key) === 0) throw modelTagNotFound(modelId, key);
}

/** Inserts params of a model: the same value again is a no-op, another value refused. */
export function insertModelParams(
  w: Statements,
  modelId: string,
  exp: string,
  params: Param[],
): void {
  for (const p of params) {
    const old = w.one<{ v: string }>(
      "SELECT param_value AS v FROM logged_model_params WHERE model_id = ? AND param_key = ?",
      modelId,
      p.key,
    );
    if (old && old.v !== p.value) throw modelParamChanged(modelId, p.key, old.v, p.value);
  }
  for (const p of params) {
    w.run(
      "INSERT OR IGNORE INTO logged_model_params (model_id, experiment_id, param_key, " +
        "param_value) VALUES (?, ?, ?, ?)",
      modelId,
      BigInt(exp),
      p.key,
      p.value,
    );
  }
}

/**
 * The points of a run's batch that carry a model id, added to `logged_model_metrics` as MLflow
 * writes them (NaN as 0, ±Infinity as ±max double, exact repeats ignored). Every model must
 * exist, deleted ones included (MLflow's foreign key).
 */
export function insertModelMetrics(
  w: Statements,
  runId: string,
  experimentId: bigint,
  metrics: Metric[],
): void {
  for (const m of metrics) {
    if (!m.modelId) continue;
    modelExperiment(w, m.modelId, true);
    w.run(
      "INSERT OR IGNORE INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, " +
        "metric_step, metric_value, experiment_id, run_id, dataset_uuid, dataset_name, " +
        "dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
      m.modelId,
      m.key,
      m.timestamp,
      m.step,
      storedMetricValue(m.value),
      experimentId,
      runId,
      m.datasetName ?? null,
      m.datasetDigest ?? null,
    );
  }
}

/** Links models to a run as inputs or outputs, once per model and run. */
export function insertModelLinks(
  w: Statements,
  runId: string,
  kind: "input" | "output",
  models: (ModelInput | ModelOutput)[],
  newId: () => string,
): void {
  const [source, dest] = linkTypes(kind);
  for (const m of models) {
    w.run(
      "INSERT OR IGNORE INTO inputs (input_uuid, source_type, source_id, destination_type, " +
        "destination_id, step) VALUES (?, ?, ?, ?, ?, ?)",
      newId(),
      source,
      runId,
      dest,
      m.modelId,
      "step" in m ? m.step : 0,
    );
  }
}

const JOIN_IDS = "FROM json_each(?) j CROSS JOIN";

/** Whole models in the order of `ids` (absent ones skipped). */
export function modelsByIds(s: Statements, ids: string[]): LoggedModel[] {
  if (ids.length === 0) return [];
  const json = JSON.stringify(ids);
  // Primary key order, as MLflow's relationship loads them.
  const kv = (table: string, key: string, value: string) =>
    s.arrays(
      `SELECT t.${key}, t.${value}, j.key ${JOIN_IDS} ${table} t ON t.model_id = j.value ` +
        `ORDER BY t.${key}`,
      json,
    ) as KeyValueRow[];
  return assembleModels(
    ids.length,
    s.arrays(
      `SELECT ${MODEL_COLUMNS}, j.key ${JOIN_IDS} logged_models m ON m.model_id = j.value`,
      json,
    ) as ModelRow[],
    kv("logged_model_tags", "tag_key", "tag_value"),
    kv("logged_model_params", "param_key", "param_value"),
    // Logging order (MLflow reads them through the model_id index, so by rowid).
    s.arrays(
      "SELECT mm.metric_name, mm.metric_value, mm.metric_timestamp_ms, " +
        `${safeInt("mm.metric_step")}, mm.run_id, mm.dataset_name, mm.dataset_digest, j.key ` +
        `${JOIN_IDS} logged_model_metrics mm ON mm.model_id = j.value ORDER BY mm.rowid`,
      json,
    ) as PointRow[],
  );
}

/**
 * Adds each run's model outputs, and its model inputs when `inputs` (runs in the order of the id
 * list `json`). Each kind in model id order, as MLflow's queries read them through the key.
 */
export function addModelLinks(
  s: Statements,
  json: string,
  runs: (Run | undefined)[],
  inputs: boolean,
): void {
  const rows = s.arrays(
    `SELECT j.key, i.source_type, i.destination_id, ${safeInt("i.step")} ${JOIN_IDS} inputs i ` +
      "ON i.source_type IN ('RUN_INPUT', 'RUN_OUTPUT') AND i.source_id = j.value " +
      "WHERE i.destination_type IN ('MODEL_INPUT', 'MODEL_OUTPUT') " +
      "ORDER BY j.key, i.source_type, i.destination_id",
    json,
  ) as [number, string, string, number][];
  attachModelLinks(runs, inputs, rows);
}

/** Removes models with their params, tags and metrics (every model of `where`). */
export function deleteModelRows(w: Statements, where: string, ...params: (string | bigint)[]) {
  for (const sql of deleteModelsSql(where)) w.run(sql, ...params);
}
